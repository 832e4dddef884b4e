/*
 * store_int.h: what the files of the store module share (store.c: the
 * database, sources and fetch log; store_release.c: releases). Not for
 * other modules: they use store.h.
 */
#ifndef FEEDMILL_STORE_INT_H
#define FEEDMILL_STORE_INT_H

#include <stdint.h>

#include <sqlite3.h>

/* Slots of the cache of common paragraphs (a power of two). */
#define STORE_COMMON_CACHE	4096

#include "store.h"

/* Statements the daemon runs on every poll, prepared once. */
enum stmt_id {
	STMT_SOURCE_SYNC,
	STMT_SOURCE_GET,
	STMT_SOURCE_SAVE,
	STMT_FETCH_LOG_ADD,
	STMT_FETCH_LOG_TRIM,
	STMT_FETCH_LOG_COUNT,
	STMT_DELIVERY_GET,
	STMT_DELIVERY_PUT,
	STMT_RELEASE_BY_FINGERPRINT,
	STMT_RELEASE_BY_LINK,
	STMT_RELEASE_GET,
	STMT_RELEASE_HEAD,
	STMT_RELEASE_INSERT,
	STMT_RELEASE_REVISE,
	STMT_RELEASE_TOUCH,
	STMT_RELEASE_CATEGORIES,
	STMT_PARAGRAPH_INSERT,
	STMT_PARAGRAPH_DELETE,
	STMT_PARAGRAPH_RELEASES,
	STMT_PARAGRAPH_HASHES,
	STMT_TOMBSTONE_GET,
	STMT_TOMBSTONE_TOUCH,
	STMT_FIELD_DELETE,
	STMT_FIELD_INSERT,
	STMT_FIELD_GET,
	STMT_RELEASE_SOURCES,
	STMT_DIRTY_RELEASE,
	STMT_DIRTY_FEED,
	STMT_FEED_MAX,
	STMT_FEED_FIND,
	STMT_FEED_INSERT,
	STMT_FEED_RANGE,
	STMT_FEED_NEWEST,
	STMT_FEED_OF_RELEASE,
	STMT_FEED_DROP,
	STMT_FILE_GET,
	STMT_FILE_PUT,
	STMT_META_GET,
	STMT_META_PUT,
	STMT_COUNT
};

struct store {
	sqlite3		*db;
	int		 lock_fd;	/* STORE_LOCK_FILE, held while open */
	char		*path;
	char		*error;
	sqlite3_stmt	*stmts[STMT_COUNT];
	int64_t		 nreleases;	/* -1 until counted */
	int		 any_tombstones;	/* -1 until looked at */
	/*
	 * Paragraphs found in many releases (boilerplate), with how many:
	 * asking the index again would walk that many rows for every item
	 * that ends with the same closing paragraph. Emptied when full and
	 * when releases are pruned (counts only grow otherwise).
	 */
	struct { uint64_t hash; int count; } common[STORE_COMMON_CACHE];
	int		 ncommon;
};


/* Record "cannot <what> in '<path>': <sqlite's message>"; returns -1. */
int store_fail(struct store *s, const char *what);
/* Run SQL without results (schema, BEGIN/COMMIT); 0 or store_fail. */
int store_exec(struct store *s, const char *sql, const char *what);
/* The cached statement id, prepared on first use, reset and unbound. */
int store_prepare(struct store *s, enum stmt_id id, const char *sql, sqlite3_stmt **st);
/* Step a statement that returns no rows, then reset it; 0 or -1. */
int store_run(struct store *s, sqlite3_stmt *st, const char *what);
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Column i as a malloc'd string, NULL for SQL NULL. */
char *store_column_text(sqlite3_stmt *st, int i);

#endif
