/* hex.h - the value of one hexadecimal digit, for the decoders that read hex
 * text (percent-escapes in URLs, PostgreSQL's bytea output, N-Quads \u escapes). */
#ifndef AC_HEX_H
#define AC_HEX_H

/* Returns the value 0-15 of the hexadecimal digit |c| ('0'-'9', 'a'-'f',
 * 'A'-'F'), or -1 for any other value of |c| (including negative ones and
 * bytes above 0x7f, whatever the signedness of char). */
int ac_hex_digit(int c);

#endif
