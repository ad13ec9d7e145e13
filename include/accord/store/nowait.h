/* nowait.h - reads of an SQLite store that never wait for the disk, for the
 * event loop: between ac_store_nowait_begin() and ac_store_nowait_end() on
 * one thread, every read SQLite makes of a database or WAL file on that
 * thread is served from the kernel's page cache (preadv2 with RWF_NOWAIT)
 * or refused at once, as is every sleep SQLite would take there (the busy
 * handler, the WAL's retry back-off) and every memory-mapped page. A
 * refused read fails the statement it belongs to (SQLite rolls its
 * transaction back; nothing is logged), and ac_store_nowait_end() says so:
 * the caller then runs the same read where waiting is allowed (a reader
 * thread, node/readers.h). Other threads, and this thread outside the pair,
 * read as before. docs/record-reads.md ("Cold reads on the loop") says why.
 *
 * Every SQLite connection of the store is opened through the thin VFS in
 * core/store/db_sqlite.c that does this; PostgreSQL stores never take part. */
#ifndef AC_STORE_NOWAIT_H
#define AC_STORE_NOWAIT_H

struct ac_store;

/* Starts refusing reads that would wait, on the calling thread. Pairs do
 * not nest. */
void ac_store_nowait_begin(void);

/* Ends what ac_store_nowait_begin() started on the calling thread and
 * returns how many reads or sleeps it refused meanwhile (0: every read came
 * from memory, so the results are those of an ordinary read). */
unsigned ac_store_nowait_end(void);

/* Returns 1 when |st| is an SQLite store whose database file takes reads
 * that do not wait (its file system supports RWF_NOWAIT; tmpfs on older
 * kernels, some network file systems do not), else 0: then every nowait
 * read of it would be refused, and the caller should not try. */
int ac_store_nowait_ready(struct ac_store *st);

/* Sets the most memory |st|'s own page cache (SQLite's, per connection)
 * may hold, in KiB (SQLite's default is 2,000). A connection that answers
 * random reads without waiting wants every interior page of the B-trees it
 * reads in there: each one it misses is a read (a refusal when the kernel
 * dropped it) for every lookup. Returns 0, or AC_EINVAL when |st| is not
 * SQLite. */
int ac_store_nowait_cache_kib(struct ac_store *st, unsigned kib);

#endif
