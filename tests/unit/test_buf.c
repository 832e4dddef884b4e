#include "config.h"

#include <stdlib.h>

#include "buf.h"
#include "tap.h"

int
main(void)
{
	struct buf b;
	char *s;

	buf_init(&b, 8);
	tap_is_str(buf_str(&b), "", "an empty buffer reads as an empty string");
	tap_is_int(buf_add(&b, "abcd", 4), 0, "adding below the cap succeeds");
	tap_is_int(buf_add(&b, "efgh", 4), 0, "adding up to the cap succeeds");
	tap_is_int(buf_addc(&b, 'i'), -1, "one byte past the cap is refused");
	tap_is_str(buf_str(&b), "abcdefgh", "a refused add leaves the contents");
	buf_reset(&b);
	tap_is_int((long long)b.len, 0, "reset empties");
	tap_is_int(buf_addstr(&b, "xyz"), 0, "a reset buffer is usable");
	s = buf_detach(&b);
	tap_is_str(s, "xyz", "detach hands over the contents");
	tap_ok(b.data == NULL && b.len == 0, "detach leaves the buffer empty");
	free(s);
	buf_init(&b, (size_t)-1);
	for (int i = 0; i < 100000; i++)
		buf_addc(&b, 'x');
	tap_is_int((long long)b.len, 100000, "an uncapped buffer grows");
	buf_release(&b);
	return tap_done();
}
