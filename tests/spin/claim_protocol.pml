/*
 * claim_protocol.pml — a SPIN model of rill's waiter/claim protocol.
 *
 * What it mirrors, and where (the names below are the code's):
 *   include/rill/detail/channel_core.hpp   send_locked (and
 *       send_rendezvous_locked), try_recv_locked, refill_locked,
 *       enqueue_receiver_locked, enqueue_waiting_sender_locked,
 *       wait_or_refuse_locked, pop_claimable, hand_to_locked,
 *       deliver_front_locked, pass_on_locked, close_locked, abort,
 *       dequeue_locked, wait_for_message
 *   include/rill/detail/waiter.hpp         waiter (linked, notify_only,
 *       status, arm, token, send_value, recv_slot), claim_token (try_claim,
 *       try_abort, rearm, complete), wait_status, completion_list
 *   include/rill/detail/ring_buffer.hpp    emplace_back, front, pop_front
 *   include/rill/detail/blocking_ops.hpp   attempt_then_park, park
 *   include/rill/detail/select_engine.hpp  run_select: poll every arm under
 *       every lock, queue one waiter per arm sharing one token, wait,
 *       try_abort on the deadline, dequeue_arms, finish_claimed
 *   include/rill/detail/async_recv_operation.hpp   async receive: begin(), resume(),
 *       attempt_receive(), cancel(): a notify-only waiter that takes its
 *       message itself in resume(), and passes the wake-up on (pass_on) when
 *       it was cancelled meanwhile
 *
 * Modelling choices, and why:
 *  - Each critical section under a channel's lock is one d_step: the lock's
 *    only job is to make the section indivisible with respect to the other
 *    sections on that channel. A select holds the locks of both its
 *    channels, so its poll-and-queue is one d_step over both.
 *  - Sections on different channels, which the code runs in parallel, are
 *    serialized too. They share nothing but claim tokens, each claimed or
 *    aborted by one CAS; with one select per scenario, the select's token is
 *    the only one two channels share, so any interleaving of two such
 *    sections is equivalent to running them in the order of their CASes.
 *  - What the code does outside a lock is a step of its own: the select's
 *    try_abort (a lone CAS), every claim_token::complete (run from the
 *    completion_list after the lock is released, invariant 3), rearm, and
 *    cancel()'s request_cancel. So a partner's `complete` can come
 *    arbitrarily late, and an owner whose deadline passes may find its
 *    waiter claimed but not yet completed.
 *  - Messages are small ids that move, never copy, between a sender, the
 *    ring, a receiver's slot and a receiving caller. A ledger (m_where) says
 *    where each one is; every move asserts it came from where it should be.
 *  - A move of T that throws is a failed hand-off, possible at every place
 *    the code moves a T under the lock, at most MAX_THROWS times per run.
 *    The message stays where it was, the waiter involved is completed with
 *    `retry`, and the exception reaches the operation that moved. Which move
 *    throws is chosen just before the section, so that the section stays a
 *    deterministic d_step (see choose_throw).
 *  - Time is abstract: a deadline may pass at any moment while an
 *    operation waits, or when a select looks.
 *  - Unbounded channels differ from bounded ones only in has_room_locked
 *    always being true; a capacity above the number of messages models them.
 *
 * Properties checked:
 *  - every hand-off asserts, through the ledger, that the message moves once
 *    and from where it is (no duplicate, no message out of thin air), and
 *    that a producer's messages leave the channel in order;
 *  - finish_locked asserts the waiter is still pending (a waiter is
 *    completed once per wait); complete() asserts its token was claimed and
 *    is completed once; a select's losing arm took and delivered nothing;
 *  - push_locked asserts ring_buffer::emplace_back's precondition !full();
 *  - invariant 2 whenever a lock is released (check_invariant_2);
 *  - when an operation returns, no queue links its waiter (invariant 3), and
 *    a send that did not complete still holds its value;
 *  - at quiescence (the `quiescence` process, which runs when nothing else
 *    can move, i.e. in every final state): every message was received
 *    exactly once, or is still buffered after a send that succeeded, or is
 *    back with a sender whose send did not; no queued waiter could have
 *    completed (invariant 2 at rest); whoever waits for a completion has a
 *    live waiter queued (no lost wake-up), and was not cancelled;
 *  - invalid end states: an operation blocked where waiting forever is not
 *    legitimate (no end label) is a deadlock or a lost wake-up. Scenarios in
 *    which an operation may legitimately wait forever define
 *    MAY_WAIT_FOREVER, which labels the waits as end states; the quiescence
 *    checks then decide whether the waiting is legitimate.
 *
 * Switches:
 *  - OVERFILL_BUG: send_locked as before commit 0ea02b1 (a send meeting a
 *    notify-only receiver buffers its value even into a full ring); fails.
 *  - UNCHECKED_RING: without the ring's precondition assertion, to see what
 *    an overfill does to the messages (the ledger catches it).
 *  - BEGIN_IGNORES_CANCEL: wait_for_message without its give_up flag, as
 *    an async receive's begin() called it before: a cancel() that comes
 *    after begin() connected the cancellation slot but before the waiter is
 *    queued finds nothing to withdraw, and the receive queues anyway, left
 *    waiting although cancelled; fails (scenario cancel).
 *
 * Run one scenario by hand (see README.md):
 *   spin -a -DSCEN_async_overfill claim_protocol.pml
 *   gcc -O1 -DSAFETY -DCOLLAPSE -o pan pan.c && ./pan -m100000
 */

/* ======================================================== scenarios === */
/* Each scenario sets the sizes, the message producers, the waiters and
 * tokens, and starts 2 to 4 processes (an operation's canceller counted). Waiter and token ids start at 1 (0 is
 * nullptr). Process arguments:
 *   sender(c, first, last, w, t, timed, closes)   blocking/timed send of
 *       messages first..last, then close() if `closes` (the last sender gone)
 *   receiver(c, count, w, t, timed)    blocking/timed recv, `count` times or,
 *       with count 0, until disconnected
 *   async_receiver(c, count, w, t)     async_recv, likewise
 *   canceller(c, w, t)                 cancels the async operation of token t
 *   selector(c0, s0, m0, c1, s1, m1, w, t, timed)   selects over two arms
 *       (a send of m_k if s_k, else a receive) until each arm has won once
 *   async_selector(c0, s0, m0, c1, s1, m1, w, t)   one async_select over two
 *       arms (receive arms notify-only)
 *   select_canceller(t)                cancels (or times out) that async_select
 *   closer(c)                          close() from the receiving side
 */

#define WAITER(w, t, k, nonly) w_token[w] = t; w_arm[w] = k; w_notify_only[w] = nonly
#define MSG(m, p) m_prod[m] = p

#if defined(SCEN_rendezvous)
/* A rendezvous channel: two messages, then the sender closes; a blocking and
   an asynchronous receive loop until disconnected. Every message must be
   received: the notify-only receiver is woken when a sender queues and takes
   the value from the queued sender itself. */
#define NCH 1
#define CAP0 0
#define NMSG 2
#define NW 3
#define NT 3
#define EXPECT_ALL_RECEIVED
#define SETUP MSG(1, 1); MSG(2, 1); \
  WAITER(1, 1, 0, false); WAITER(2, 2, 0, false); WAITER(3, 3, 0, true); \
  run sender(0, 1, 2, 1, 1, false, true); \
  run receiver(0, 0, 2, 2, false); \
  run async_receiver(0, 0, 3, 3)

#elif defined(SCEN_bounded)
/* Capacity 1 (CAP0 may override), three messages, the same receivers: sends
   that find the ring full queue and are refilled into the slot a receive
   frees (refill_locked); a direct receiver queued behind a notified one is
   given the oldest buffered message. */
#define NCH 1
#ifndef CAP0
#define CAP0 1
#endif
#define NMSG 3
#define NW 3
#define NT 3
#define EXPECT_ALL_RECEIVED
#define SETUP MSG(1, 1); MSG(2, 1); MSG(3, 1); \
  WAITER(1, 1, 0, false); WAITER(2, 2, 0, false); WAITER(3, 3, 0, true); \
  run sender(0, 1, 3, 1, 1, false, true); \
  run receiver(0, 0, 2, 2, false); \
  run async_receiver(0, 0, 3, 3)

#elif defined(SCEN_async_overfill) || defined(SCEN_async_rendezvous)
/* Commit 0ea02b1: capacity 1, two asynchronous receives waiting, two sends.
   The first send notifies one receive and buffers its message; the second
   meets the other waiting receive while the ring is full. Fixed: it notifies
   that receive and queues. With OVERFILL_BUG: it pushes past the end of the
   ring. async_rendezvous: the same on a rendezvous channel, where only
   queued senders wake notify-only receivers (and wait_for_message must see
   a sender that queued before the receive looked). */
#define NCH 1
#ifdef SCEN_async_rendezvous
#define CAP0 0
#else
#define CAP0 1
#endif
#define NMSG 2
#define NW 3
#define NT 3
#define EXPECT_ALL_RECEIVED
#define SETUP MSG(1, 1); MSG(2, 1); \
  WAITER(1, 1, 0, false); WAITER(2, 2, 0, true); WAITER(3, 3, 0, true); \
  run sender(0, 1, 2, 1, 1, false, false); \
  run async_receiver(0, 1, 2, 2); \
  run async_receiver(0, 1, 3, 3)

#elif defined(SCEN_async_overfill2)
/* The same with capacity 2: three waiting asynchronous receives, three sends. */
#define NCH 1
#define CAP0 2
#define NMSG 3
#define NW 4
#define NT 4
#define EXPECT_ALL_RECEIVED
#define SETUP MSG(1, 1); MSG(2, 1); MSG(3, 1); \
  WAITER(1, 1, 0, false); WAITER(2, 2, 0, true); WAITER(3, 3, 0, true); WAITER(4, 4, 0, true); \
  run sender(0, 1, 3, 1, 1, false, false); \
  run async_receiver(0, 1, 2, 2); \
  run async_receiver(0, 1, 3, 3); \
  run async_receiver(0, 1, 4, 4)

#elif defined(SCEN_cancel)
/* An asynchronous receive cancelled at any point, another asynchronous
   receive beside it, one message and no close (CAP0 = 0 or 1). One receive
   is left waiting forever, legitimately, unless it is the cancelled one: a
   cancelled receive never waits on, not even one cancelled while begin()
   runs, before its waiter is queued (BEGIN_IGNORES_CANCEL: it is). A
   cancelled receive that was notified must pass the wake-up on
   (pass_on_locked), or the other one sleeps beside a queued sender or a
   buffered message. */
#define NCH 1
#ifndef CAP0
#define CAP0 0
#endif
#define NMSG 1
#define NW 3
#define NT 3
#define MAY_WAIT_FOREVER
#define EXPECT_ALL_RECEIVED
#define SETUP MSG(1, 1); \
  WAITER(1, 1, 0, false); WAITER(2, 2, 0, true); WAITER(3, 3, 0, true); \
  run sender(0, 1, 1, 1, 1, false, false); \
  run async_receiver(0, 1, 2, 2); \
  run canceller(0, 2, 2); \
  run async_receiver(0, 1, 3, 3)

#elif defined(SCEN_cancel_close)
/* An asynchronous receive cancelled at any point and a blocking receive
   that loops until disconnected, on a bounded channel (CAP0 may override)
   whose sender sends NMSG messages and closes. pass_on_locked hands
   buffered messages straight to the direct receiver, and close_locked tells
   it `retry` while messages sit buffered for the notified receive: every
   message is received. */
#define NCH 1
#ifndef CAP0
#define CAP0 1
#endif
#ifndef NMSG
#define NMSG 1
#endif
#define NW 3
#define NT 3
#define EXPECT_ALL_RECEIVED
#define SETUP MSG(1, 1); MSG(NMSG, 1); \
  WAITER(1, 1, 0, false); WAITER(2, 2, 0, true); WAITER(3, 3, 0, false); \
  run sender(0, 1, NMSG, 1, 1, false, true); \
  run async_receiver(0, 1, 2, 2); \
  run canceller(0, 2, 2); \
  run receiver(0, 0, 3, 3, false)

#elif defined(SCEN_timeouts)
/* A timed send and a timed receive (CAP0 = 0 or 1): a deadline may pass at
   any point, and the abort of the queued waiter races the partner's claim.
   A withdrawn send keeps its value; a claimed one is awaited (park). */
#define NCH 1
#ifndef CAP0
#define CAP0 1
#endif
#define NMSG 2
#define NW 2
#define NT 2
#define SETUP MSG(1, 1); MSG(2, 1); \
  WAITER(1, 1, 0, false); WAITER(2, 2, 0, false); \
  run sender(0, 1, 2, 1, 1, true, true); \
  run receiver(0, 0, 2, 2, true)

#elif defined(SCEN_select_race)
/* A select receiving from two rendezvous channels, one sender on each: both
   senders race to claim the one token; the loser's claim fails, its arm is
   stale and it queues. The select runs again with the arm left. */
#define NCH 2
#define CAP0 0
#define CAP1 0
#define NMSG 2
#define NW 4
#define NT 3
#define EXPECT_ALL_RECEIVED
#define SETUP MSG(1, 1); MSG(2, 2); \
  WAITER(1, 1, 0, false); WAITER(2, 1, 1, false); \
  WAITER(3, 2, 0, false); WAITER(4, 3, 0, false); \
  run selector(0, false, 0, 1, false, 0, 1, 1, false); \
  run sender(0, 1, 1, 3, 2, false, false); \
  run sender(1, 2, 2, 4, 3, false, false)

#elif defined(SCEN_select_mixed)
/* A timed select that receives from a rendezvous channel and sends to a
   bounded one, a sender that closes the first, a receiver on the second:
   the deadline's try_abort races the partners' claims. */
#define NCH 2
#define CAP0 0
#define CAP1 1
#define NMSG 2
#define NW 4
#define NT 3
#define EXPECT_ALL_RECEIVED
#define SETUP MSG(1, 1); MSG(2, 2); \
  WAITER(1, 1, 0, false); WAITER(2, 1, 1, false); \
  WAITER(3, 2, 0, false); WAITER(4, 3, 0, false); \
  run selector(0, false, 0, 1, true, 2, 1, 1, true); \
  run sender(0, 1, 1, 3, 2, false, true); \
  run receiver(1, 1, 4, 3, false)

#elif defined(SCEN_select_same_channel)
/* A select sending to and receiving from the same rendezvous channel, with a
   sender and a receiver beside it: its two arms must never meet each other.
   The select may be left with both arms and no partner, and then waits
   forever, legitimately. */
#define NCH 1
#define CAP0 0
#define NMSG 2
#define NW 4
#define NT 3
#define MAY_WAIT_FOREVER
#define SETUP MSG(1, 1); MSG(2, 2); \
  WAITER(1, 1, 0, false); WAITER(2, 1, 1, false); \
  WAITER(3, 2, 0, false); WAITER(4, 3, 0, false); \
  run selector(0, false, 0, 0, true, 2, 1, 1, false); \
  run sender(0, 1, 1, 3, 2, false, false); \
  run receiver(0, 1, 4, 3, false)

#elif defined(SCEN_close_race)
/* close() from the receiving side racing two sends and an asynchronous
   receive that loops until disconnected (CAP0 = 0 or 1): queued senders get
   their values back, buffered messages are drained. */
#define NCH 1
#ifndef CAP0
#define CAP0 1
#endif
#define NMSG 2
#define NW 2
#define NT 2
#define SETUP MSG(1, 1); MSG(2, 1); \
  WAITER(1, 1, 0, false); WAITER(2, 2, 0, true); \
  run sender(0, 1, 2, 1, 1, false, false); \
  run async_receiver(0, 0, 2, 2); \
  run closer(0)

#elif defined(SCEN_throwing)
/* A move of T throws once, anywhere (CAP0 = 0 or 1): a send, a receive, a
   refill or a pass-on. The message stays where it was, the waiter involved
   is completed with `retry`. Receives that get the exception try again. */
#define NCH 1
#ifndef CAP0
#define CAP0 1
#endif
#define NMSG 2
#define NW 3
#define NT 3
#define MAX_THROWS 1
#define EXPECT_ALL_RECEIVED
#define SETUP MSG(1, 1); MSG(2, 1); \
  WAITER(1, 1, 0, false); WAITER(2, 2, 0, false); WAITER(3, 3, 0, true); \
  run sender(0, 1, 2, 1, 1, false, true); \
  run receiver(0, 0, 2, 2, false); \
  run async_receiver(0, 0, 3, 3)

#elif defined(SCEN_throwing_select)
/* select_race with one throwing move: a hand-off to a claimed select arm
   that throws completes the select with `retry`, and it selects again. */
#define NCH 2
#define CAP0 0
#define CAP1 0
#define NMSG 2
#define NW 4
#define NT 3
#define MAX_THROWS 1
#define EXPECT_ALL_RECEIVED
#define SETUP MSG(1, 1); MSG(2, 2); \
  WAITER(1, 1, 0, false); WAITER(2, 1, 1, false); \
  WAITER(3, 2, 0, false); WAITER(4, 3, 0, false); \
  run selector(0, false, 0, 1, false, 0, 1, 1, false); \
  run sender(0, 1, 1, 3, 2, false, false); \
  run sender(1, 2, 2, 4, 3, false, false)

#elif defined(SCEN_async_select)
/* An async_select receiving from one channel and sending to another (both
   rendezvous unless CAP1 overrides), cancelled (or timed out) at any point,
   with a sender and a receiver as partners racing to claim its token. A
   cancelled select has taken nothing and hands its value back; the partner
   it did not serve may wait forever, legitimately. With SENDER_CLOSES=1 the
   sender closes its channel after its send: close_locked claims the queued
   receive arm, which then wins with recv_error. */
#ifndef SENDER_CLOSES
#define SENDER_CLOSES 0
#endif
#define WITH_ASYNC_SELECT
#define NCH 2
#define CAP0 0
#ifndef CAP1
#define CAP1 0
#endif
#define NMSG 2
#define NW 4
#define NT 3
#define MAY_WAIT_FOREVER
#define SETUP MSG(1, 1); MSG(2, 2); \
  WAITER(1, 1, 0, true); WAITER(2, 1, 1, false); \
  WAITER(3, 2, 0, false); WAITER(4, 3, 0, false); \
  run async_selector(0, false, 0, 1, true, 2, 1, 1); \
  run select_canceller(1); \
  run sender(0, 1, 1, 3, 2, false, SENDER_CLOSES); \
  run receiver(1, 1, 4, 3, false)

#elif defined(SCEN_async_select_pass_on)
/* An async_select receiving from two bounded channels (CAP0 may override),
   one sender on each, and an asynchronous receive beside it on the first:
   a receive arm woken for a message loses the poll to the other arm, and
   must pass the wake-up on to the other receive. */
#define WITH_ASYNC_SELECT
#define NCH 2
#ifndef CAP0
#define CAP0 1
#endif
#define NMSG 2
#define NW 5
#define NT 4
#define MAY_WAIT_FOREVER
#define SETUP MSG(1, 1); MSG(2, 2); \
  WAITER(1, 1, 0, true); WAITER(2, 1, 1, true); \
  WAITER(3, 2, 0, false); WAITER(4, 3, 0, false); WAITER(5, 4, 0, true); \
  run async_selector(0, false, 0, 1, false, 0, 1, 1); \
  run sender(0, 1, 1, 3, 2, false, false); \
  run sender(1, 2, 2, 4, 3, false, false); \
  run async_receiver(0, 1, 5, 4)

#else
#error "choose a scenario: spin -DSCEN_<name> (see the list above)"
#endif

/* ========================================================= sizes ======= */
#ifndef CAP1
#define CAP1 CAP0
#endif
#ifndef MAX_THROWS
#define MAX_THROWS 0
#endif
#define NPROD 2                   /* producers (for the per-producer order) */
#define RINGSZ 3                  /* slots per channel in the model's ring */
#define QMAX NW                   /* waiters one queue can hold */
#define WAKEMAX NW                /* completions one critical section can collect */

#define capacity(c) ((c) == 0 -> CAP0 : CAP1)
/* ring_buffer::full() is size_ == capacity_, exactly: an overfilled ring
   (size above capacity) no longer counts as full. */
#define ring_full(c) (ring_size[c] == capacity(c))
/* channel_core::has_room_locked */
#define has_room_locked(c) (capacity(c) != 0 && !ring_full(c))

/* ============================================== the state of the system */

/* claim_token::state */
#define UNCLAIMED 0
#define ABORTED   1
#define FIRST_ARM 2

/* wait_status, and op_result (plus op_threw: a move of T threw and the
   exception leaves the operation) */
mtype = { pending, done, disconnected, retry, notified };
mtype = { op_done, op_would_block, op_queued, op_disconnected, op_threw };

/* channel_core::receiver_kind */
#define RK_ANY 0
#define RK_DIRECT 1
#define RK_NOTIFY_ONLY 2

/* channel_core, one per channel. The ring mirrors ring_buffer: head, size,
   slots (0: a slot holding no live message). */
bool closed[NCH];
byte ring[NCH * RINGSZ];
byte ring_head[NCH];
byte ring_size[NCH];
/* waiter_queue senders_waiting_ and receivers_waiting_ of every channel:
   queue SENDERS(c) and RECEIVERS(c), front at index 0 */
#define SENDERS(c) (2 * (c))
#define RECEIVERS(c) (2 * (c) + 1)
byte queue[2 * NCH * QMAX];
byte queue_n[2 * NCH];

/* waiter<T> (index 0 is nullptr). `w_send_value` is the message a queued
   send offers (0: a receive waiter), `w_slot` the recv_slot a direct
   receiver is handed its message in. */
bool  w_linked[NW + 1];
bool  w_notify_only[NW + 1];
mtype w_status[NW + 1];
byte  w_arm[NW + 1];
byte  w_token[NW + 1];
byte  w_send_value[NW + 1];
byte  w_slot[NW + 1];

/* claim_token. `t_done`: `complete` has run (a parked thread was woken, an
   asynchronous operation's resume was posted). `t_parked`: its owner waits
   for that. `cancel_requested`: async_operation_base::cancel_requested_. */
byte t_state[NT + 1];
bool t_done[NT + 1];
bool t_parked[NT + 1];
bool cancel_requested[NT + 1];
/* The asynchronous operation of token t can be cancelled: its cancellation
   slot is connected (begin() to complete()). */
bool slot_connected[NT + 1];

/* The ledger. m_where: where a message is. m_outcome: what its send said. */
#define AT_SENDER 0   /* with its sender (not sent yet, offered by a queued send, or handed back) */
#define BUFFERED  1   /* in the ring */
#define IN_SLOT   2   /* in a claimed direct receiver's recv_slot, not collected yet */
#define RECEIVED  3   /* returned to a receiving caller */
#define SENT      1
#define RETURNED  2
byte m_where[NMSG + 1];
byte m_outcome[NMSG + 1];
byte m_prod[NMSG + 1];
byte last_taken[NPROD + 1];   /* newest message of each producer taken so far */

byte throws_left = MAX_THROWS;

/* Scratch for the locked sections. Each section is one d_step, so nobody else
   runs while they are in use; they are reset to 0 before it ends so that
   they do not multiply the states. */
byte sc_i, sc_j, sc_k, sc_w, sc_r, sc_s, sc_n, sc_m, sc_u, sc_t, sc_act, sc_moves;
bool sc_ok;
mtype sc_st;

/* Every critical section is one d_step, so a lock needs no state of its
   own, except where an operation does something lock-free while it holds a
   lock: async_select's resume rearms its token under the locks of its
   channels, and cancel() may try_abort that token in between, without a
   lock. Scenarios with an async select therefore hold real locks across
   that section, and every critical section starts by waiting for its lock
   (LOCK(c), the first statement of each d_step). */
#ifdef WITH_ASYNC_SELECT
bool lock_held[NCH];
#define LOCK(c) !lock_held[c];
#else
#define LOCK(c)
#endif

/* ===================================================== waiter.hpp ======= */

/* claim_token::try_claim: CAS unclaimed -> first_arm + arm */
inline try_claim(w, ok) {
  if
  :: t_state[w_token[w]] == UNCLAIMED ->
     t_state[w_token[w]] = FIRST_ARM + w_arm[w]; ok = true;
     printf("      claim w%d (token %d, arm %d)\n", w, w_token[w], w_arm[w])
  :: else ->
     ok = false;
     printf("      w%d is stale (token %d taken): unlinked, dropped\n", w, w_token[w])
  fi
}

/* claim_token::try_abort: CAS unclaimed -> aborted */
inline try_abort(t, ok) {
  if
  :: t_state[t] == UNCLAIMED -> t_state[t] = ABORTED; ok = true
  :: else -> ok = false
  fi;
  printf("      try_abort token %d: %d\n", t, ok)
}

/* A fresh claim token (a new thread_token, a new async operation). */
inline fresh_token(t) {
  t_state[t] = UNCLAIMED;
  t_done[t] = false
}

/* A fresh waiter<T>. Its memory is reused only once no queue links it
   (invariant 3). */
inline fresh_waiter(w) {
  assert(!w_linked[w]);
  w_status[w] = pending;
  w_send_value[w] = 0;
  w_slot[w] = 0
}

/* waiter_queue::push_back */
inline q_push(q, w) {
  assert(queue_n[q] < QMAX);
  queue[q * QMAX + queue_n[q]] = w;
  queue_n[q]++;
  w_linked[w] = true
}

/* waiter_queue::remove of the entry at index i */
inline q_remove_at(q, i) {
  w_linked[queue[q * QMAX + i]] = false;
  sc_j = i;
  do
  :: sc_j + 1 < queue_n[q] -> queue[q * QMAX + sc_j] = queue[q * QMAX + sc_j + 1]; sc_j++
  :: else -> break
  od;
  queue_n[q]--;
  queue[q * QMAX + queue_n[q]] = 0;
  sc_j = 0
}

/* waiter_queue::remove */
inline q_remove(q, w) {
  sc_k = 0;
  do
  :: sc_k < queue_n[q] && queue[q * QMAX + sc_k] != w -> sc_k++
  :: else -> break
  od;
  assert(sc_k < queue_n[q]);
  q_remove_at(q, sc_k);
  sc_k = 0
}

/* channel_core::finish_locked: the status, then the completion_list. The
   status is written once per wait: a waiter completed twice trips here. */
inline finish_locked(w, st) {
  assert(w_status[w] == pending);
  w_status[w] = st;
  printf("      finish w%d: %e\n", w, st);
  assert(nwake < WAKEMAX);
  wake[nwake] = w;
  nwake++
}

/* claim_token::complete, called after every lock is released. Only a token
   a partner claimed is completed, and only once. */
inline complete(t) {
  assert(t_state[t] >= FIRST_ARM);
  assert(!t_done[t]);
  t_done[t] = true;
  printf("    complete token %d\n", t)
}

/* completion_list::complete_all, in the order collected; each completion is
   a step of its own, so the woken owners run at any point in between. */
inline complete_all() {
  do
  :: d_step { wi < nwake; complete(w_token[wake[wi]]); wake[wi] = 0; wi++ }
  :: else -> nwake = 0; break
  od;
  wi = 0   /* a plain statement: a break may not land in a d_step that follows */
}

/* =============================================== the ledger's checks ==== */

/* A move of T may throw, at most MAX_THROWS times in a run. Which move of a
   critical section throws (if any) is chosen just before the section
   (choose_throw, a local choice of the process), so that the section itself
   stays deterministic and can be one d_step: the n-th move in it throws if
   throw_at is n. Choosing before or inside makes no difference to what can
   happen, since the choice depends on nothing shared. */
inline choose_throw() {
#if MAX_THROWS > 0
  if
  :: throws_left == 0 -> throw_at = 0
  :: throws_left > 0 ->
     if
     :: throw_at = 0
     :: throw_at = 1
     :: throw_at = 2
     :: throw_at = 3
     :: throw_at = 4
     fi
  fi
#else
  throw_at = 0   /* a statement, not skip: `goto try_again` lands here, never in a d_step */
#endif
}

inline move_may_throw(threw) {
#if MAX_THROWS > 0
  sc_moves++;
  threw = (throw_at == sc_moves && throws_left > 0);
  if
  :: threw -> throws_left--; printf("      (a move of T throws)\n")
  :: else
  fi
#else
  threw = false
#endif
}

/* Invariant 2, checked whenever a channel's lock is released: a live send
   waiter is queued only while the ring is full (always, on a rendezvous
   channel), and, on a rendezvous channel, never together with a live
   direct receive waiter of another operation (the two would have met).
   The exceptions the invariant names are left to the quiescence checks:
   notify-only receivers may wait beside a queued sender (one of them has
   been woken for it), and a direct receiver queued behind notified ones
   may wait beside messages buffered for them, and so beside a sender
   queued on the full ring. */
inline check_invariant_2(c) {
  sc_i = 0;
  do
  :: sc_i == queue_n[SENDERS(c)] -> break
  :: else ->
     sc_s = queue[SENDERS(c) * QMAX + sc_i];
     if
     :: t_state[w_token[sc_s]] == UNCLAIMED ->
        assert(capacity(c) == 0 || ring_full(c));
        sc_j = 0;
        do
        :: sc_j == queue_n[RECEIVERS(c)] || capacity(c) != 0 -> break
        :: else ->
           sc_r = queue[RECEIVERS(c) * QMAX + sc_j];
           assert(w_notify_only[sc_r] || t_state[w_token[sc_r]] != UNCLAIMED || w_token[sc_r] == w_token[sc_s]);
           sc_j++
        od
     :: else
     fi;
     sc_i++
  od;
  sc_i = 0; sc_j = 0; sc_s = 0; sc_r = 0
}

/* The end of every critical section on channel c: the invariant holds, and
   the scratch goes back to 0. */
inline unlock(c) {
  check_invariant_2(c);
  sc_moves = 0;
  throw_at = 0
}

/* A message leaves the channel for a receiver: never a producer's older
   message after a newer one (invariant 2: "never a newer value"). */
inline taken_in_order(m) {
  assert(m > last_taken[m_prod[m]]);
  last_taken[m_prod[m]] = m
}

/* ================================================ channel_core.hpp ====== */

/* ring_buffer::emplace_back via push_locked. Precondition !full(); the index
   is computed as ring_buffer does, so an overfilled ring writes where the
   real one would (with -DUNCHECKED_RING, to see what that does). */
inline push_locked(c, m) {
#ifndef UNCHECKED_RING
  if
  :: ring_full(c) -> printf("      push m%d onto a full ring: ring_buffer::emplace_back's precondition fails\n", m)
  :: else
  fi;
  assert(!ring_full(c));   /* the ring is never overfilled */
#endif
  move_may_throw(exc);     /* T's move constructor; if it throws nothing changes */
  if
  :: !exc ->
     sc_t = ring_head[c] + ring_size[c];
     if
     :: sc_t >= capacity(c) -> sc_t = sc_t - capacity(c)
     :: else
     fi;
     assert(sc_t < capacity(c));          /* inside the ring's allocation */
     ring[c * RINGSZ + sc_t] = m;         /* over a live message, if overfilled */
     ring_size[c]++;
     printf("      push m%d: ring of channel %d holds %d of %d\n", m, c, ring_size[c], capacity(c));
     assert(m_where[m] == AT_SENDER);
     m_where[m] = BUFFERED;
     sc_t = 0
  :: else
  fi
}

/* take_front_locked: moves the oldest message out (into `m`), then
   pop_front. If the move throws, the message stays at the front. */
inline take_front_locked(c, m) {
  move_may_throw(exc);
  if
  :: !exc ->
     assert(ring_size[c] != 0);
     m = ring[c * RINGSZ + ring_head[c]];
     ring[c * RINGSZ + ring_head[c]] = 0;
     ring_head[c] = (ring_head[c] + 1 == capacity(c) -> 0 : ring_head[c] + 1);
     ring_size[c]--;
     printf("      take m%d from the ring of channel %d\n", m, c);
     assert(m != 0);                      /* a live message, not a destroyed slot */
     assert(m_where[m] == BUFFERED);      /* taken once */
     taken_in_order(m)
  :: else
  fi
}

/* pop_claimable: unlinks queued waiters of the wanted kind, oldest first,
   until one can be claimed; stale select arms (and withdrawn tokens) met on
   the way are dropped, waiters of another kind stay queued. */
inline pop_claimable(q, kind, res) {
  res = 0;
  sc_i = 0;
  do
  :: sc_i >= queue_n[q] -> break
  :: else ->
     sc_w = queue[q * QMAX + sc_i];
     if
     :: kind != RK_ANY && w_notify_only[sc_w] != (kind == RK_NOTIFY_ONLY) -> sc_i++
     :: else ->
        q_remove_at(q, sc_i);
        try_claim(sc_w, sc_ok);
        if
        :: sc_ok -> res = sc_w; break
        :: else
        fi
     fi
  od;
  sc_i = 0; sc_w = 0; sc_ok = false
}

inline pop_receiver_locked(c, kind, res) { pop_claimable(RECEIVERS(c), kind, res) }
inline pop_sender_locked(c, res) { pop_claimable(SENDERS(c), RK_ANY, res) }

/* hand_to_locked: moves the value into a claimed direct receiver's slot
   (transfer_locked: done, or retry if the move threw). */
inline hand_to_locked(r, m) {
  move_may_throw(exc);
  if
  :: !exc ->
     assert(m_where[m] == AT_SENDER);
     taken_in_order(m);
     w_slot[r] = m;
     m_where[m] = IN_SLOT;
     printf("      hand m%d to w%d\n", m, r);
     finish_locked(r, done)
  :: else -> finish_locked(r, retry)
  fi
}

/* deliver_front_locked: the oldest buffered message into a claimed direct
   receiver's slot. */
inline deliver_front_locked(c, r) {
  take_front_locked(c, sc_m);
  if
  :: !exc ->
     w_slot[r] = sc_m;
     m_where[sc_m] = IN_SLOT;
     printf("      deliver m%d to w%d\n", sc_m, r);
     finish_locked(r, done)
  :: else -> finish_locked(r, retry)
  fi;
  sc_m = 0
}

/* refill_locked: a slot was just freed; the oldest queued sender's value
   moves into it. A throwing move completes that sender with `retry`, and the
   exception goes no further (the receive that made room has succeeded). */
inline refill_locked(c) {
  pop_sender_locked(c, sc_s);
  if
  :: sc_s != 0 ->
     push_locked(c, w_send_value[sc_s]);
     if
     :: !exc -> finish_locked(sc_s, done)
     :: else -> finish_locked(sc_s, retry); exc = false
     fi
  :: else
  fi;
  sc_s = 0
}

inline enqueue_sender_locked(c, w, m) {
  assert(!closed[c]);      /* invariant 4: nothing queues once closed */
  w_status[w] = pending;
  w_send_value[w] = m;
  q_push(SENDERS(c), w);
  printf("      queue sender w%d with m%d on channel %d\n", w, m, c)
}

/* On a rendezvous channel a queued sender also wakes one notify-only
   receiver, which takes the value from the queue when it resumes. */
inline enqueue_waiting_sender_locked(c, w, m) {
  enqueue_sender_locked(c, w, m);
  if
  :: capacity(c) == 0 ->
     pop_receiver_locked(c, RK_NOTIFY_ONLY, sc_n);
     if
     :: sc_n != 0 -> finish_locked(sc_n, notified)
     :: else
     fi;
     sc_n = 0
  :: else
  fi
}

/* (the slot is the waiter's own w_slot; a notify-only waiter has none) */
inline enqueue_receiver_locked(c, w) {
  assert(!closed[c]);
  w_status[w] = pending;
  q_push(RECEIVERS(c), w);
  printf("      queue receiver w%d on channel %d\n", w, c)
}

inline dequeue_locked(c, w) {
  if
  :: w_linked[w] && w_send_value[w] != 0 -> q_remove(SENDERS(c), w)
  :: w_linked[w] && w_send_value[w] == 0 -> q_remove(RECEIVERS(c), w)
  :: else
  fi
}

/* wait_or_refuse_locked: a send that cannot complete now queues `self`, if given. */
inline wait_or_refuse_locked(c, m, self, res) {
  if
  :: self == 0 -> res = op_would_block
  :: else -> enqueue_waiting_sender_locked(c, self, m); res = op_queued
  fi
}

/* What send_locked does once it has looked at the receivers' queue and the
   ring. The model decides first and then performs each kind of hand-off in
   one place; the choices are exactly those of send_locked and
   send_rendezvous_locked. */
#define ACT_HAND    1   /* hand_to_locked: straight into a direct receiver's slot */
#define ACT_DELIVER 2   /* deliver_front_locked to that receiver, then push_locked */
#define ACT_PUSH    3   /* push_locked */
#define ACT_WAIT    4   /* wait_or_refuse_locked */

/* send_locked: sends `m`, or queues `self` if given and the send would block. */
inline send_locked(c, m, self, res) {
  if
  :: closed[c] -> res = op_disconnected
  :: else ->
     if
     :: capacity(c) == 0 ->
        /* send_rendezvous_locked: a receiver that holds out its slot now,
           or queue (and wake one notify-only receiver) */
        pop_receiver_locked(c, RK_DIRECT, sc_r);
        sc_act = (sc_r != 0 -> ACT_HAND : ACT_WAIT)
     :: else ->
        /* A queued receiver means the buffer is empty, or holds messages
           for notified receivers that have not run yet */
        pop_receiver_locked(c, RK_ANY, sc_r);
        if
        :: sc_r != 0 && w_notify_only[sc_r] ->
           finish_locked(sc_r, notified);   /* also if the push throws: a spurious wake-up */
#ifndef OVERFILL_BUG
           /* 0ea02b1: on a full ring the value waits like any send to a
              full channel; the receive just notified takes a message and
              frees the slot it waits for */
           sc_act = (has_room_locked(c) -> ACT_PUSH : ACT_WAIT)
#else
           /* before 0ea02b1: buffered unconditionally */
           sc_act = ACT_PUSH
#endif
        :: sc_r != 0 && !w_notify_only[sc_r] ->
           /* with messages buffered for a notified receiver that has not
              run yet, this receiver gets the oldest, not our newer value */
           sc_act = (ring_size[c] == 0 -> ACT_HAND : ACT_DELIVER)
        :: sc_r == 0 -> sc_act = (has_room_locked(c) -> ACT_PUSH : ACT_WAIT)
        fi
     fi;
     if
     :: sc_act == ACT_DELIVER ->
        deliver_front_locked(c, sc_r);
        sc_act = (exc -> 0 : ACT_PUSH)
     :: else
     fi;
     if
     :: sc_act == ACT_HAND -> hand_to_locked(sc_r, m)
     :: sc_act == ACT_PUSH -> push_locked(c, m)
     :: else
     fi;
     if
     :: sc_act == ACT_WAIT -> wait_or_refuse_locked(c, m, self, res)
     :: else -> res = (exc -> op_threw : op_done)
     fi;
     sc_r = 0; sc_act = 0
  fi
}

/* try_recv_locked: takes the oldest buffered message, or a queued sender's
   value on a rendezvous hand-off, into the caller (`got`); the ledger says
   RECEIVED at once since the sink is the receiving operation's own result. */
inline try_recv_locked(c, res, got) {
  if
  :: ring_size[c] != 0 ->
     take_front_locked(c, got);
     if
     :: !exc -> m_where[got] = RECEIVED; refill_locked(c); res = op_done
     :: else -> res = op_threw
     fi
  :: else ->
     pop_sender_locked(c, sc_s);
     if
     :: sc_s != 0 ->
        move_may_throw(exc);
        if
        :: !exc ->
           got = w_send_value[sc_s];
           printf("      take m%d from sender w%d\n", got, sc_s);
           assert(m_where[got] == AT_SENDER);
           taken_in_order(got);
           m_where[got] = RECEIVED;
           finish_locked(sc_s, done);
           res = op_done
        :: else -> finish_locked(sc_s, retry); res = op_threw
        fi
     :: else -> res = (closed[c] -> op_disconnected : op_would_block)
     fi;
     sc_s = 0
  fi
}

/* wait_for_message: takes nothing; `op_done` if a message may be ready (or
   the channel is closed), else queues the notify-only `w` if given, or
   `op_would_block` without `w` or once `give_up` (the operation's
   cancellation flag) is set, read under the lock. */
inline wait_for_message(c, w, give_up, res) {
  if
  :: ring_size[c] != 0 || queue_n[SENDERS(c)] != 0 || closed[c] -> res = op_done
#ifdef BEGIN_IGNORES_CANCEL
  :: else ->   /* give_up not looked at */
     if
     :: w == 0 -> res = op_would_block
     :: else -> enqueue_receiver_locked(c, w); res = op_queued
     fi
#else
  :: else ->
     if
     :: w == 0 -> res = op_would_block
     :: w != 0 && give_up -> res = op_would_block; printf("      w%d not queued: cancelled\n", w)
     :: else -> enqueue_receiver_locked(c, w); res = op_queued
     fi
#endif
  fi
}

/* pass_on_locked: announces what is ready to the queued receivers: one
   notify-only receiver per buffered message (or one for queued rendezvous
   senders), and buffered messages straight to direct receivers. A throwing
   delivery ends it with the exception (exc). */
inline pass_on_locked(c) {
  if
  :: capacity(c) == 0 ->
     if
     :: queue_n[SENDERS(c)] != 0 ->
        pop_receiver_locked(c, RK_NOTIFY_ONLY, sc_n);
        if
        :: sc_n != 0 -> finish_locked(sc_n, notified)
        :: else
        fi;
        sc_n = 0
     :: else
     fi
  :: else ->
     sc_u = ring_size[c];     /* unannounced */
     do
     :: sc_u == 0 -> break
     :: else ->
        pop_receiver_locked(c, RK_ANY, sc_r);
        if
        :: sc_r == 0 -> break
        :: sc_r != 0 && w_notify_only[sc_r] -> finish_locked(sc_r, notified); sc_u--
        :: sc_r != 0 && !w_notify_only[sc_r] ->
           deliver_front_locked(c, sc_r);
           if
           :: exc -> break
           :: else -> refill_locked(c); sc_u--
           fi
        fi
     od;
     sc_u = 0; sc_r = 0
  fi
}

/* channel_core::abort: withdraws a queued waiter untouched, or says a
   partner claimed it first (or it was never queued). */
inline abort(c, w, ok) {
  if
  :: w_linked[w] && t_state[w_token[w]] == UNCLAIMED ->
     t_state[w_token[w]] = ABORTED;
     dequeue_locked(c, w);
     ok = true
  :: else -> ok = false
  fi;
  printf("      abort w%d: %d\n", w, ok)
}

/* close_locked: receivers get disconnected, or retry when messages sit
   buffered for notified receivers (they drain those first); senders get
   disconnected and keep their values. */
inline close_locked(c) {
  if
  :: closed[c]
  :: else ->
     closed[c] = true;
     printf("      channel %d closed\n", c);
     sc_st = (ring_size[c] == 0 -> disconnected : retry);
     do
     :: true ->
        pop_receiver_locked(c, RK_ANY, sc_r);
        if
        :: sc_r == 0 -> break
        :: else -> finish_locked(sc_r, sc_st)
        fi
     od;
     do
     :: true ->
        pop_sender_locked(c, sc_s);
        if
        :: sc_s == 0 -> break
        :: else -> finish_locked(sc_s, disconnected)
        fi
     od;
     sc_st = 0
  fi
}

/* ================================================= blocking_ops.hpp ===== */

/* A wait that may last forever only in scenarios where that is legitimate. */
#ifdef MAY_WAIT_FOREVER
#define WAIT_LABEL(name) end_##name:
#else
#define WAIT_LABEL(name) name:
#endif

/* park: waits for `complete`, or, when timed, for the deadline: then abort;
   if that fails a partner claimed the waiter and its completion is awaited
   (wait_completed). `completed` is false only if withdrawn untouched. (The
   deadline is only taken while not completed: after `complete` the outcome
   of a late deadline is the same as of none.) */
inline park(c, w, t, timed, completed) {
  t_parked[t] = true;
WAIT_LABEL(parked)
  if
  :: t_done[t] -> completed = true
  :: timed && !t_done[t] ->
     d_step { LOCK(c) printf("P%d: deadline passed\n", _pid); abort(c, w, withdrawn); unlock(c) };
     if
     :: withdrawn -> completed = false
     :: else -> t_done[t]; completed = true
     fi;
     withdrawn = false
  fi;
  t_parked[t] = false
}

/* What a send reports against where its message is: done means it left the
   sender; anything else (disconnected, timed out, an exception) means the
   sender still holds it. No queue links the waiter any more. */
inline send_finished(m, res, w) {
  assert(!w_linked[w]);
  if
  :: res == op_done -> assert(m_where[m] != AT_SENDER); m_outcome[m] = SENT
  :: else -> assert(m_where[m] == AT_SENDER); m_outcome[m] = RETURNED
  fi
}

/* blocking_send (attempt_then_park) of messages first..last. A send that
   gets an exception keeps its value, and the caller sends it again; one
   that times out or finds the channel disconnected keeps its value and goes
   on with the next message. */
proctype sender(byte c; byte first; byte last; byte w; byte t; bool timed; bool closes) {
  byte wake[WAKEMAX]; byte nwake; byte wi; byte throw_at;
  bool exc; bool completed; bool withdrawn;
  mtype res;
  byte m = first;

  do
  :: m > last -> break
  :: else ->
try_again:
     choose_throw();
     d_step {   /* a fresh waiter and token, then channel_core::send */
       LOCK(c)
       fresh_waiter(w);
       fresh_token(t);
       printf("P%d: send m%d on channel %d\n", _pid, m, c);
       exc = false;
       send_locked(c, m, w, res);
       unlock(c)
     }
     complete_all();
     if
     :: res == op_queued ->
        park(c, w, t, timed, completed);
        if
        :: !completed -> res = op_would_block        /* timed out */
        :: completed && w_status[w] == done -> res = op_done
        :: completed && w_status[w] == disconnected -> res = op_disconnected
        :: completed && w_status[w] == retry -> goto try_again
        fi
     :: else
     fi;
     if
     :: res == op_threw ->
        d_step {
          printf("P%d: send m%d: the exception; sending again\n", _pid, m);
          assert(m_where[m] == AT_SENDER && !w_linked[w]);
          res = 0; exc = false
        };
        goto try_again
     :: else
     fi;
     d_step {
       printf("P%d: send m%d: %e\n", _pid, m, res);
       send_finished(m, res, w);
       res = 0; completed = false; exc = false;
       m++
     }
  od;
  if
  :: closes ->   /* the last sender gone */
     d_step { LOCK(c) printf("P%d: close channel %d\n", _pid, c); close_locked(c); unlock(c) };
     complete_all()
  :: else
  fi
}

/* blocking_recv (attempt_then_park), `count` times, or until disconnected
   with count 0. A timed receive that times out counts as one of the
   `count`; one that gets an exception does not (the caller tries again). */
proctype receiver(byte c; byte count; byte w; byte t; bool timed) {
  byte wake[WAKEMAX]; byte nwake; byte wi; byte throw_at;
  bool exc; bool completed; bool withdrawn; bool stop;
  mtype res;
  byte got; byte attempts;

  do
  :: count != 0 && attempts == count -> break
  :: else ->
try_again:
     choose_throw();
     d_step {   /* channel_core::recv */
       LOCK(c)
       fresh_waiter(w);
       fresh_token(t);
       printf("P%d: recv on channel %d\n", _pid, c);
       exc = false;
       try_recv_locked(c, res, got);
       if
       :: res == op_would_block -> enqueue_receiver_locked(c, w); res = op_queued
       :: else
       fi;
       unlock(c)
     }
     complete_all();
     if
     :: res == op_queued ->
        park(c, w, t, timed, completed);
        if
        :: !completed -> res = op_would_block        /* timed out */
        :: completed && w_status[w] == done -> res = op_done
        :: completed && w_status[w] == disconnected -> res = op_disconnected
        :: completed && w_status[w] == retry -> goto try_again
        fi
     :: else
     fi;
     d_step {
       if
       :: res == op_done && got == 0 ->   /* handed over into our slot */
          got = w_slot[w];
          w_slot[w] = 0;
          assert(got != 0 && m_where[got] == IN_SLOT);
          m_where[got] = RECEIVED
       :: else
       fi;
       printf("P%d: recv: %e m%d\n", _pid, res, got);
       assert(!w_linked[w]);
       assert((res == op_done) == (got != 0));
       if
       :: count != 0 && res != op_threw -> attempts++
       :: else
       fi;
       stop = (res == op_disconnected);
       res = 0; got = 0; completed = false; exc = false
     };
     if
     :: stop -> break
     :: else
     fi
  od
}

/* close() from the receiving side (or any handle's) */
proctype closer(byte c) {
  byte wake[WAKEMAX]; byte nwake; byte wi; byte throw_at;
  d_step { LOCK(c) printf("P%d: close channel %d\n", _pid, c); close_locked(c); unlock(c) };
  complete_all()
}

/* ======================================== async_recv_operation.hpp ===== */

/* async_recv, `count` operations (0: until disconnected). Each operation is
   a fresh claim token with a notify-only waiter. It never takes a message in
   begin(); partners only notify it (claim it as a wake-up), and resume(), on
   the handler's executor, takes the message itself, or passes the wake-up on
   if the operation was cancelled meanwhile. */
proctype async_receiver(byte c; byte count; byte w; byte t) {
  byte wake[WAKEMAX]; byte nwake; byte wi; byte throw_at;
  bool exc; bool stop;
  mtype res;
  byte got; byte ops;

  do
  :: count != 0 && ops == count -> break
  :: else ->
     d_step {
       fresh_waiter(w);
       fresh_token(t);
       printf("P%d: async_recv on channel %d\n", _pid, c);
       slot_connected[t] = true   /* connect_cancellation_slot(), first thing in begin() */
     };
     /* begin(). From here a cancel() may come at any point, between any two
        of its steps. message_likely_buffered() is a relaxed read of a hint
        that may be stale either way: on a buffered channel the operation
        may go straight to resume (post_resume), or check under the lock. */
     if
     :: capacity(c) != 0 -> goto resume
     :: true
     fi;
     /* attempt_or_queue: a rendezvous channel is checked once without
        queueing before the operation registers; a buffered one registers
        first and checks and queues under one lock. Both pass the
        cancellation flag as give_up: a cancel() that came before the waiter
        is queued found nothing to withdraw, and relies on this check. */
     if
     :: capacity(c) == 0 ->
        d_step { LOCK(c) wait_for_message(c, 0, cancel_requested[t], res); unlock(c) };
        if
        :: res == op_done -> goto resume
        :: else
        fi
     :: else
     fi;
     d_step { LOCK(c) wait_for_message(c, w, cancel_requested[t], res); unlock(c) };
     if
     :: res != op_queued -> goto resume   /* done, or would_block: cancelled */
     :: else
     fi;
waiting:
     /* queued: a partner's `complete` or cancel() posts resume; from here
        the operation is not touched until then */
     t_parked[t] = true;
WAIT_LABEL(await)
     t_done[t];
     t_parked[t] = false;
resume:
     if
     :: cancel_requested[t] ->
        /* we may have been woken for a message we now leave */
        choose_throw();
        d_step {   /* core_->pass_on() */
          LOCK(c)
          printf("P%d: resume, cancelled: pass_on\n", _pid);
          exc = false;
          pass_on_locked(c);
          res = (exc -> op_threw : op_would_block);   /* operation_aborted */
          unlock(c)
        };
        complete_all()
     :: else ->
        /* attempt_receive: rearm, then recv with the cancellation flag as
           give_up, checked under the lock */
        choose_throw();
        d_step {
          LOCK(c)
          t_state[t] = UNCLAIMED;   /* rearm; under the lock here, before it in the code: nobody looks at an unqueued waiter's token */
          t_done[t] = false;
          printf("P%d: resume: recv on channel %d\n", _pid, c);
          exc = false;
          try_recv_locked(c, res, got);
          if
          :: res == op_would_block && !cancel_requested[t] -> enqueue_receiver_locked(c, w); res = op_queued
          :: else
          fi;
          unlock(c)
        }
        complete_all();
        if
        :: res == op_queued -> goto waiting
        :: else
        fi
     fi;
     /* complete(): the handler runs with `res` (a message on op_done). A
        single waiter is never queued when the operation is freed. */
     d_step {
       printf("P%d: async_recv: %e m%d\n", _pid, res, got);
       assert(!w_linked[w]);
       assert((res == op_done) == (got != 0));
       assert(got == 0 || m_where[got] == RECEIVED);
       if
       :: count != 0 -> ops++
       :: else
       fi;
       stop = (res == op_disconnected);
       res = 0; got = 0; exc = false;
       slot_connected[t] = false   /* clear_cancellation_slot() */
     };
     if
     :: stop -> break
     :: else
     fi
  od
}

/* cancel(): from the cancellation slot, on any thread, at any time while the
   slot is connected (a cancellation before or after that does nothing, and
   waiting for one that never comes is a legitimate end). Withdrawn
   untouched: it posts resume itself; otherwise a resume is on its way (or
   running) and sees the request. */
proctype canceller(byte c; byte w; byte t) {
  bool withdrawn; byte throw_at;
end_idle:
  atomic { slot_connected[t] -> cancel_requested[t] = true };   /* request_cancel() */
  d_step { LOCK(c) printf("P%d: cancel token %d\n", _pid, t); abort(c, w, withdrawn); unlock(c) };
  if
  :: withdrawn -> d_step { assert(!t_done[t]); t_done[t] = true; printf("P%d: post resume\n", _pid) }
  :: else
  fi
}

/* ================================================= select_engine.hpp ==== */

#define NO_WINNER 255       /* select_would_block */
#define SELECT_TIMED_OUT 254
#define SELECT_THREW 253
#define SELECT_RETRY 252    /* finish_claimed said false: select again */

/* select_arm::poll_locked of one arm (the channel's lock held): the arm's
   channel, whether it sends, its value */
inline poll_arm(k, c, sends, m) {
  if
  :: !sends ->
     try_recv_locked(c, res, got);
     if
     :: res == op_done || res == op_disconnected -> winner = k
     :: res == op_threw -> winner = SELECT_THREW
     :: else
     fi
  :: sends ->
     send_locked(c, m, 0, res);
     if
     :: res == op_done || res == op_disconnected -> winner = k
     :: res == op_threw -> winner = SELECT_THREW
     :: else
     fi
  fi
}

/* The result of an arm: a send arm that won sent its value or got it back in
   its error; a receive arm got a message or recv_error. Either way the arm
   is switched off for the selects that follow. */
inline arm_finished(sends, m, w) {
  if
  :: sends -> send_finished(m, res, w)
  :: else ->
     assert((res == op_done) == (got != 0));
     assert(got == 0 || m_where[got] == RECEIVED)
  fi
}

/* Arm k's parameters */
#define ARM_CHAN(k)  (k == 0 -> c0 : c1)
#define ARM_SENDS(k) (k == 0 -> sends0 : sends1)
#define ARM_VALUE(k) (k == 0 -> m0 : m1)
#define ARM_ON(k)    (k == 0 -> en0 : en1)

/* run_select over two arms, again and again until each arm has won once
   (a select loop that switches an arm off once it is done). Arm k's waiter
   is w + k; both share the token t. */
proctype selector(byte c0; bool sends0; byte m0; byte c1; bool sends1; byte m1; byte w; byte t; bool timed) {
  byte wake[WAKEMAX]; byte nwake; byte wi; byte throw_at;
  bool exc; bool completed; bool aborted;
  bool en0 = true; bool en1 = true;
  mtype res;
  byte got; byte winner; byte k; byte n;
  byte ac; bool as; byte am;     /* the arm at hand: channel, sends, value */
  bool expired;

  do
  :: !en0 && !en1 -> break
  :: else ->
     /* poll_arms_locked's random order (select_order::random; biased is
        one of the two), and whether the deadline has passed by the time
        the select looks: local choices, made before the locks are taken */
     if
     :: k = 0
     :: k = 1
     fi;
     if
     :: timed -> expired = true
     :: true -> expired = false
     fi;
     choose_throw();
     d_step {
       LOCK(c0) LOCK(c1)
       fresh_token(t);            /* thread_token token; */
       fresh_waiter(w);           /* channel_arm::fresh_waiter */
       fresh_waiter(w + 1);
       winner = NO_WINNER;
       printf("P%d: select (arm 0 on: %d, arm 1 on: %d)\n", _pid, en0, en1);
       /* select_locks: every channel's lock at once */
       exc = false;
       n = 0;
       do
       :: n == 2 || winner != NO_WINNER -> break
       :: else ->
          if
          :: ARM_ON(k) ->
             ac = ARM_CHAN(k); as = ARM_SENDS(k); am = ARM_VALUE(k);
             poll_arm(k, ac, as, am)
          :: else
          fi;
          k = 1 - k;
          n++
       od;
       if
       :: winner == NO_WINNER && expired -> winner = SELECT_TIMED_OUT
       :: winner == NO_WINNER && !expired ->
          /* enqueue_arms_locked: only after every arm was polled under
             every lock, so the arms of one select never meet each other */
          k = 0;
          do
          :: k == 2 -> break
          :: else ->
             ac = ARM_CHAN(k); am = ARM_VALUE(k);
             if
             :: ARM_ON(k) && ARM_SENDS(k) -> enqueue_waiting_sender_locked(ac, w + k, am)
             :: ARM_ON(k) && !ARM_SENDS(k) -> enqueue_receiver_locked(ac, w + k)
             :: else
             fi;
             k++
          od
       :: else
       fi;
       k = 0; n = 0; ac = 0; as = false; am = 0; expired = false;
       check_invariant_2(c0);
       unlock(c1)
     }
     complete_all();
     if
     :: winner == NO_WINNER ->
        /* token.wait_until(deadline); on expiry try_abort, and if a partner
           won the race, wait_completed */
        t_parked[t] = true;
WAIT_LABEL(select_wait)
        if
        :: t_done[t] -> completed = true
        :: timed && !t_done[t] ->
           d_step { printf("P%d: deadline passed\n", _pid); try_abort(t, aborted) };
           if
           :: aborted -> completed = false
           :: else -> t_done[t]; completed = true
           fi;
           aborted = false
        fi;
        t_parked[t] = false;
        /* dequeue_arms: each under its channel's lock */
        d_step {
          LOCK(c0)
          if
          :: en0 -> dequeue_locked(c0, w)
          :: else
          fi;
          unlock(c0)
        };
        d_step {
          LOCK(c1)
          if
          :: en1 -> dequeue_locked(c1, w + 1)
          :: else
          fi;
          unlock(c1)
        };
        d_step {
          k = 0;
          if
          :: !completed -> winner = SELECT_TIMED_OUT
          :: else ->
             winner = t_state[t] - FIRST_ARM;
             assert(winner < 2 && ARM_ON(winner));
             /* the losing arm took and delivered nothing */
             assert(w_status[w + 1 - winner] == pending);
             /* finish_claimed */
             if
             :: w_status[w + winner] == done ->
                res = op_done;
                if
                :: !ARM_SENDS(winner) ->
                   got = w_slot[w + winner];
                   w_slot[w + winner] = 0;
                   assert(got != 0 && m_where[got] == IN_SLOT);
                   m_where[got] = RECEIVED
                :: else
                fi
             :: w_status[w + winner] == disconnected -> res = op_disconnected
             :: w_status[w + winner] == retry -> winner = SELECT_RETRY   /* nothing was handed over */
             fi
          fi;
          completed = false
        }
     :: else
     fi;
     d_step {
       assert(!w_linked[w] && !w_linked[w + 1]);
       printf("P%d: select: winner %d, %e m%d\n", _pid, winner, res, got);
       if
       :: winner == 0 -> arm_finished(sends0, m0, w); en0 = false
       :: winner == 1 -> arm_finished(sends1, m1, w + 1); en1 = false
       :: else   /* timed out, an exception, or retry: select again */
       fi;
       winner = 0; res = 0; got = 0; exc = false
     }
  od
}

/* ================================================== async_select.hpp ==== */

#ifdef WITH_ASYNC_SELECT
#define SELECT_CANCELLED 251        /* conclude_cancelled */
#define SELECT_LEAVE_TO_CANCEL 250  /* then::leave_to_cancel */

/* async_select_operation over two channel arms: begin(), then resume() every
   time a partner claims an arm or cancel() withdraws the operation. Receive
   arms queue notify-only and take their message in resume's poll; a claimed
   send arm has completed. A timeout arm's timer acts exactly like a
   cancellation (select_canceller). Arm k's waiter is w + k. */
proctype async_selector(byte c0; bool sends0; byte m0; byte c1; bool sends1; byte m1; byte w; byte t) {
  byte wake[WAKEMAX]; byte nwake; byte wi; byte throw_at;
  bool exc; bool aborted; bool claimed;
  bool en0 = true; bool en1 = true;
  mtype res;
  byte got; byte winner; byte k; byte n; byte arm;
  byte ac; bool as; byte am;

  d_step {
    fresh_waiter(w);
    fresh_waiter(w + 1);
    t_state[t] = ABORTED;     /* disarm(): not queued, an early cancel must not think it withdrew us */
    t_done[t] = false;
    slot_connected[t] = true; /* listen() */
    printf("P%d: async_select\n", _pid)
  };
  /* begin() posts resume */
resume:
  atomic {   /* (atomic, not d_step: `goto resume` may not jump into a d_step) */
    claimed = (t_state[t] >= FIRST_ARM);
    arm = (claimed -> t_state[t] - FIRST_ARM : 2);
    t_state[t] = ABORTED;     /* disarm() */
    t_done[t] = false;
    winner = NO_WINNER;
    printf("P%d: async_select resumes (claimed arm: %d)\n", _pid, arm)
  };
  /* dequeue_all(): each arm under its channel's lock */
  d_step { LOCK(c0) dequeue_locked(c0, w); unlock(c0) };
  d_step { LOCK(c1) dequeue_locked(c1, w + 1); unlock(c1) };
  if
  :: claimed && ARM_SENDS(arm) ->
     d_step {   /* finish_claimed of a send arm */
       if
       :: w_status[w + arm] == done -> res = op_done; winner = arm
       :: w_status[w + arm] == disconnected -> res = op_disconnected; winner = arm
       :: else   /* retry: nothing was taken, the value is still ours */
       fi
     }
  :: claimed && !ARM_SENDS(arm) ->
     /* a receive arm woken for a message may lose the new poll to another
        arm: its channel's other receivers are told now (pass_on) */
     choose_throw();
     d_step {
       LOCK(ARM_CHAN(arm))
       ac = ARM_CHAN(arm);
       exc = false;
       pass_on_locked(ac);
       unlock(ac);
       ac = 0
     };
     complete_all()
  :: else
  fi;
  if
  :: winner == NO_WINNER && cancel_requested[t] -> winner = SELECT_CANCELLED
  :: else
  fi;
  if
  :: winner == NO_WINNER ->
     if
     :: k = 0
     :: k = 1
     fi;
     choose_throw();
     d_step {
       LOCK(c0) LOCK(c1)
       lock_held[c0] = true;      /* select_locks */
       lock_held[c1] = true;
       printf("P%d: async_select polls\n", _pid);
       exc = false;
       n = 0;
       do
       :: n == 2 || winner != NO_WINNER -> break
       :: else ->
          ac = ARM_CHAN(k); as = ARM_SENDS(k); am = ARM_VALUE(k);
          poll_arm(k, ac, as, am);
          k = 1 - k;
          n++
       od;
       if
       :: winner == NO_WINNER ->
          t_state[t] = UNCLAIMED; /* rearm(), then (next step) read the cancellation flag */
          t_done[t] = false
       :: else ->
          lock_held[c0] = false;
          lock_held[c1] = false;
          check_invariant_2(c0)
       fi;
       k = 0; n = 0; ac = 0; as = false; am = 0;
       unlock(c1)
     };
     if
     :: winner == NO_WINNER ->
        /* still under the locks; a lock-free cancel() may have come in
           between: a cancel() that sets the flag later finds the token
           armed and withdraws us; one that set it earlier is seen here, and
           exactly one of us wins the abort */
        d_step {
          if
          :: !cancel_requested[t] ->   /* enqueue_arms_locked, notify-only */
             k = 0;
             do
             :: k == 2 -> break
             :: else ->
                fresh_waiter(w + k);   /* channel_arm::fresh_waiter */
                ac = ARM_CHAN(k); am = ARM_VALUE(k);
                if
                :: ARM_SENDS(k) -> enqueue_waiting_sender_locked(ac, w + k, am)
                :: else -> enqueue_receiver_locked(ac, w + k)
                fi;
                k++
             od
          :: else ->
             try_abort(t, aborted);
             winner = (aborted -> SELECT_CANCELLED : SELECT_LEAVE_TO_CANCEL)
          fi;
          lock_held[c0] = false;
          lock_held[c1] = false;
          k = 0; ac = 0; am = 0; aborted = false;
          check_invariant_2(c0);
          unlock(c1)
        }
     :: else
     fi;
     complete_all()
  :: else
  fi;
  if
  :: winner == NO_WINNER || winner == SELECT_LEAVE_TO_CANCEL ->
     /* queued, or withdrawn by cancel(): a partner's `complete` or cancel()
        posts resume, possibly at once */
     atomic { t_parked[t] = true; winner = NO_WINNER };
WAIT_LABEL(async_select_wait)
     t_done[t];
     t_parked[t] = false;
     goto resume
  :: else
  fi;
  /* conclude: the winning arm's result, or operation_aborted / the timeout
     arm; a send arm that did not win hands its value back (take_value) */
  d_step {
    printf("P%d: async_select: winner %d, %e m%d\n", _pid, winner, res, got);
    assert(!w_linked[w] && !w_linked[w + 1]);
    if
    :: winner == 0 -> arm_finished(sends0, m0, w)
    :: winner == 1 -> arm_finished(sends1, m1, w + 1)
    :: else -> assert(winner == SELECT_CANCELLED && got == 0)
    fi;
    if
    :: sends0 && winner != 0 -> res = op_would_block; send_finished(m0, res, w)
    :: else
    fi;
    if
    :: sends1 && winner != 1 -> res = op_would_block; send_finished(m1, res, w + 1)
    :: else
    fi;
    slot_connected[t] = false;   /* clear_cancellation_slot() */
    winner = 0; res = 0; got = 0; claimed = false; arm = 0
  }
}

/* async_select_operation::cancel(), from the cancellation slot or the
   timeout arm's timer, at any time while the slot is connected: the token is
   claimable only while the arms are queued, so a successful abort means it
   withdrew a waiting select and posts resume; otherwise the resume that is
   posted or running sees the request. */
proctype select_canceller(byte t) {
  bool aborted;
end_idle:
  atomic { slot_connected[t] -> cancel_requested[t] = true };   /* request_cancel() */
  d_step {
    printf("P%d: cancel async_select\n", _pid);
    try_abort(t, aborted);
    if
    :: aborted -> assert(!t_done[t]); t_done[t] = true; printf("P%d: post resume\n", _pid)
    :: else
    fi;
    aborted = false
  }
}
#endif

/* ======================================================== quiescence ==== */

/* Runs once nothing else can move, i.e. in every final state. */
active proctype quiescence() {
  byte i, j, c, n, r, s;

  timeout ->
  d_step {
    /* 1. The ledger: every message is received once, or still buffered
          after a send that succeeded, or back with its sender. */
    i = 1;
    do
    :: i > NMSG -> break
    :: else ->
       assert(m_where[i] != IN_SLOT);   /* handed to a receiver that never took it */
       if
       :: m_outcome[i] == SENT -> assert(m_where[i] == BUFFERED || m_where[i] == RECEIVED)
       :: else -> assert(m_where[i] == AT_SENDER)
       fi;
       n = 0; j = 0;
       do
       :: j == NCH * RINGSZ -> break
       :: else ->
          if
          :: ring[j] == i -> n++
          :: else
          fi;
          j++
       od;
       assert(n == (m_where[i] == BUFFERED -> 1 : 0));
#ifdef EXPECT_ALL_RECEIVED
       assert(m_where[i] == RECEIVED);
#endif
       i++
    od;
    /* 2. Invariant 2 at rest: every queued waiter is live, live receivers
          only on an empty open channel, live senders only on a full (or
          rendezvous) open one, and no live sender and live receiver of two
          different operations queued on one channel. */
    c = 0;
    do
    :: c == NCH -> break
    :: else ->
       assert(ring_size[c] <= capacity(c));
       i = 0;
       do
       :: i == queue_n[RECEIVERS(c)] -> break
       :: else ->
          r = queue[RECEIVERS(c) * QMAX + i];
          assert(t_state[w_token[r]] == UNCLAIMED);
          assert(!closed[c] && ring_size[c] == 0);
          j = 0;
          do
          :: j == queue_n[SENDERS(c)] -> break
          :: else -> assert(w_token[queue[SENDERS(c) * QMAX + j]] == w_token[r]); j++
          od;
          i++
       od;
       i = 0;
       do
       :: i == queue_n[SENDERS(c)] -> break
       :: else ->
          s = queue[SENDERS(c) * QMAX + i];
          assert(t_state[w_token[s]] == UNCLAIMED);
          assert(!closed[c]);
          assert(capacity(c) == 0 || ring_full(c));
          i++
       od;
       c++
    od;
    /* 3. Whoever waits for a completion has a live waiter queued, so a
          partner can still come for it: no lost wake-up. */
    i = 1;
    do
    :: i > NT -> break
    :: else ->
       if
       :: t_parked[i] ->
          assert(!t_done[i] && t_state[i] == UNCLAIMED);
          assert(!cancel_requested[i]);   /* a cancelled operation does not wait on */
          n = 0; r = 1;
          do
          :: r > NW -> break
          :: else ->
             if
             :: w_token[r] == i && w_linked[r] -> n++
             :: else
             fi;
             r++
          od;
          assert(n > 0)
       :: else
       fi;
       i++
    od
  }
}

init {
  byte i;
  atomic {
    i = 1;
    do
    :: i > NW -> break
    :: else -> w_status[i] = pending; i++
    od;
    i = 0;
    SETUP
  }
}
