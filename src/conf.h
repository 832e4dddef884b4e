/*
 * conf: the configuration file (feedmill.conf(5) is its spec).
 *
 * INI, read with inih: [feedmill], [source NAME], [digest NAME], [smtp];
 * ';' and '#' comments; a key given twice, the later wins;
 * "include = GLOB" (relative to the including file) anywhere. Loading
 * checks everything it can without touching the network and collects every
 * problem as "file:line: message", so a user fixes them all in one go.
 */
#ifndef FEEDMILL_CONF_H
#define FEEDMILL_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_DEFAULT_INTERVAL	(30 * 60)
#define CONF_MIN_INTERVAL	60		/* faster is impolite to a source */
#define CONF_MAX_INTERVAL	(365 * 24 * 60 * 60)
#define CONF_DEFAULT_MAX_BODY	(16u * 1024 * 1024)
#define CONF_DEFAULT_PER_HOST	2
#define CONF_DEFAULT_TRANSFERS	64
#define CONF_DEFAULT_TIMEOUT	60		/* a whole transfer, seconds */
#define CONF_DEFAULT_CONNECT_TIMEOUT 10
#define CONF_MAX_TIMEOUT	600
#define CONF_DEFAULT_KEEP_DAYS	365
#define CONF_MAX_KEEP_DAYS	36500		/* 0 keeps releases for ever */
#define CONF_DEFAULT_OVERLAP	0.8
#define CONF_DEFAULT_ENTRIES	200		/* per published feed document */
#define CONF_MIN_ENTRIES	10
#define CONF_MAX_ENTRIES	10000
#define CONF_MAX_INCLUDE_DEPTH	8
#define CONF_MAX_FILES		256	/* a file including itself 9 times 8 deep */
#define CONF_MAX_FILE_BYTES	(8 * 1024 * 1024)	/* some 150000 sources */
/* inih as Debian builds it reads 200-byte lines, newline and NUL included */
#define CONF_MAX_LINE		198

struct conf_list {
	char	**v;
	size_t	  n;
};

struct conf_source {
	char		*name;
	char		*url;
	int64_t		 interval;	/* seconds; 0 means [feedmill] interval */
	struct conf_list fields;	/* always applied to its releases */
	char		*file;		/* where the section starts */
	int		 line;
};

enum conf_starttls { CONF_STARTTLS_OPTIONAL = 0, CONF_STARTTLS_REQUIRED, CONF_STARTTLS_NEVER };

#define CONF_DEFAULT_DIGEST_ITEMS	500
#define CONF_MAX_DIGEST_ITEMS		10000
#define CONF_DEFAULT_SUBJECT		"{name}: {count} new releases, {date}"

struct conf_digest {
	char		*name;
	struct conf_list to;
	int		 at;		/* minutes after local midnight; -1 unset */
	char		*timezone;	/* IANA name; NULL means the system's */
	struct conf_list fields;	/* only these fields (empty: all) */
	struct conf_list sources;	/* only from these sources (empty: all) */
	char		*subject;	/* template: {name} {count} {date} */
	int		 max_items;
	int		 send_empty;
	char		*file;
	int		 line;
};

struct conf {
	char		*path;
	char		*state_dir;
	char		*output_dir;
	char		*listen;	/* "" means no HTTP server */
	char		*base_url;
	char		*fields_path;
	int64_t		 interval;
	size_t		 max_body;
	int		 max_per_host;
	int		 max_transfers;
	int64_t		 timeout;	/* seconds for a whole transfer */
	int64_t		 connect_timeout;
	int		 keep_days;	/* releases older are pruned; 0: never */
	int		 max_entries;	/* in each published feed document */
	double		 update_overlap;	/* Jaccard share that makes an update */
	char		*smtp_url;
	char		*smtp_from;
	char		*smtp_username;
	char		*smtp_password_file;
	enum conf_starttls smtp_starttls;
	char		*sendmail;	/* hand mail to this program instead */
	struct conf_source *sources;
	size_t		 nsources;
	struct conf_digest *digests;
	size_t		 ndigests;
};

/* Problems found while loading, each "file:line: message". */
struct conf_errors {
	char	**v;
	size_t	  n;
};

/*
 * Load path and its includes into c (which conf_load initialises). Returns
 * 0, or -1 with every problem in errs; c then holds what was understood and
 * must still be released with conf_release().
 */
int conf_load(struct conf *c, const char *path, struct conf_errors *errs);
void conf_release(struct conf *c);
void conf_errors_release(struct conf_errors *errs);

/* The effective interval of a source, in seconds. */
int64_t conf_source_interval(const struct conf *c, const struct conf_source *s);

/* "30s", "15m", "2h", "1d", "1h30m" to seconds; 0 or -1. */
int conf_parse_duration(const char *s, int64_t *seconds);
/* "16M", "512k", "1G", "4096" to bytes; 0 or -1. */
int conf_parse_size(const char *s, size_t *bytes);

#endif
