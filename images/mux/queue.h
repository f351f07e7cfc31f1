/* queue.h: a destination's queue of waiting entries (struct dest_queue,
 * forward.h), as its workers use it. Each call takes the queue's lock. */
#ifndef MUX_QUEUE_H
#define MUX_QUEUE_H

#include "forward.h"

/* The lock, and the condition whose timed waits use the monotonic clock
 * (the deadlines in the queue are monotonic). 0, or -1/errno. */
int queue_init(struct dest_queue *q);
void queue_destroy(struct dest_queue *q);

/* Add the entries of q's spool folder that are neither queued nor in
 * flight, in order, and wake the workers: one sorted listing merged into
 * the sorted queue, O(n log n) however deep the queue. */
void queue_load(struct dest_queue *q);

/* Take up to max entries that are due, oldest first, into out, waiting
 * while none is (or while the destination is down). 0 once q->stop is
 * set. The k entries taken are in flight until queue_finished(q, out),
 * which merges those put back into the queue in one pass (a batch put
 * back one entry at a time cost a walk of the whole queue for each). */
size_t queue_take(struct dest_queue *q, struct entry *out, size_t max);
void queue_finished(struct dest_queue *q, struct entry *out);

/* An entry of a batch taken goes back into the queue, due at
 * e->not_before_ms, when the batch is finished. */
void queue_put_back(struct entry *e);

/* 1 if nothing waits, else 0. */
int queue_empty(struct dest_queue *q);

#endif
