/*
 * mail: the pieces of an Internet message (RFC 5322, MIME) and sending one.
 *
 * Messages are composed here, not with libcurl's MIME API: a digest is
 * stored in the outbox before it is sent (so a restart resends the same
 * bytes) and `digest --dry-run` prints it, and curl_mime can only stream a
 * message into a transfer. A message to send is a file (its first len
 * bytes), read a chunk at a time: it is never in memory whole. Header values never carry a line
 * break or a control character, whatever the feed put in a title.
 */
#ifndef FEEDMILL_MAIL_H
#define FEEDMILL_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct conf;
struct conf_list;

/* "Name: value\r\n", the value cleaned of control characters and, if it
 * is not ASCII, as RFC 2047 encoded-words (UTF-8, base64), folded. */
void mail_header(struct buf *b, const char *name, const char *value);
/* Text as quoted-printable (RFC 2045), CRLF line ends, lines <= 76. */
void mail_qp(struct buf *b, const char *text);
/* An RFC 5322 date, UTC ("Sun, 29 Nov 2026 07:00:00 +0000"). */
void mail_date(int64_t t, char *out, size_t size);
/* Append text wrapped at width columns (code points), each line prefixed
 * with indent; a word longer than width stays whole. */
void mail_wrap(struct buf *b, const char *text, const char *indent, int width);

/*
 * Send a message (CRLF line ends) to every address of to: through [smtp]
 * url (libcurl; STARTTLS and AUTH as configured), or to the sendmail
 * program when the configuration names one. Blocks. 0, or -1 with *err.
 */
int mail_send(const struct conf *c, const struct conf_list *to, int fd, size_t len,
    char **err);

/*
 * The same without blocking, for the daemon: the SMTP transfer runs on the
 * fetcher's multi handle and done(arg, error) runs from the loop when it
 * ends (error NULL: the server took it). A sendmail program runs the same
 * way: its input is written as the pipe takes it and its exit is watched
 * from the loop (the loop must be libev's default loop, which alone
 * watches children). The transfer reads its own duplicate of fd: the
 * caller may close fd at once. 0, or -1 with *err if it could not start
 * (done is then not called).
 */
struct fetcher;
typedef void mail_done_fn(void *arg, const char *error);
int mail_send_start(struct fetcher *fr, const struct conf *c, const struct conf_list *to,
    int fd, size_t len, mail_done_fn *done, void *arg, char **err);
/* Stop the sendmail programs still running (killed, so none delivers a
 * truncated message; done is not called): at the daemon's end. */
void mail_abort_all(void);

#endif
