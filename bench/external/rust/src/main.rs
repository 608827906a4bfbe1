// rill_bench's Rust peers: one cell (one workload on one peer) run once.
//
//   rill_bench_rust --peer crossbeam|rust_std|tokio|flume --workload W1..W13 --n COUNT
//
// Prints the wall time of the timed part in seconds on stdout and exits 0,
// or exits 1 (wrong sum or count) or 2 (bad arguments, a workload the peer's
// API has no operation for). The workloads are bench/workloads.hpp's and
// bench/select_workloads.hpp's, written again with each peer's own API:
// channel creation is outside the timing, starting and joining the threads
// (or running the runtime) inside, and every workload checks that the sum of
// what was received is what was sent.
//
//   crossbeam  W1-W8 (unbounded, bounded(N), bounded(0) is a rendezvous; its
//              Receiver is Clone, so W8 has 4 receiving threads), W12 and W13
//              with select!
//   rust_std   W1-W7: channel() and sync_channel(N) (sync_channel(0) is a
//              rendezvous). No W8: its Receiver is neither Clone nor Sync (one
//              consumer only); no select.
//   tokio      W9-W11: tokio::sync::mpsc::channel on a current-thread runtime;
//              W11's thread sends with blocking_send
//   flume      W9-W11: flume::bounded with send_async/recv_async on the same
//              runtime; W11's thread sends with the blocking send
use std::process::exit;
use std::thread;
use std::time::Instant;

fn expected_sum(n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        n * (n - 1) / 2
    }
}

fn check(ok: bool, what: &str) {
    if !ok {
        eprintln!("rill_bench_rust: check failed: {}", what);
        exit(1);
    }
}

fn usage(why: &str) -> ! {
    eprintln!("rill_bench_rust: {}", why);
    eprintln!(
        "usage: rill_bench_rust --peer crossbeam|rust_std|tokio|flume --workload W1..W13 --n COUNT"
    );
    exit(2);
}

/// Producer `p`'s share of 0..n among `producers`.
fn share(p: u64, producers: u64, n: u64) -> std::ops::Range<u64> {
    n * p / producers..n * (p + 1) / producers
}

// ---- thread workloads, over crossbeam and std ---------------------------------------

/// A channel of u64 used from threads: how to make one, send and receive.
trait Flavor {
    type Tx: Clone + Send + 'static;
    type Rx: Send + 'static;
    /// `None`: unbounded.
    fn make(capacity: Option<usize>) -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, v: u64);
    fn recv(rx: &Self::Rx) -> u64;
}

struct Crossbeam;

impl Flavor for Crossbeam {
    type Tx = crossbeam_channel::Sender<u64>;
    type Rx = crossbeam_channel::Receiver<u64>;
    fn make(capacity: Option<usize>) -> (Self::Tx, Self::Rx) {
        match capacity {
            None => crossbeam_channel::unbounded(),
            Some(c) => crossbeam_channel::bounded(c),
        }
    }
    fn send(tx: &Self::Tx, v: u64) {
        check(tx.send(v).is_ok(), "crossbeam send");
    }
    fn recv(rx: &Self::Rx) -> u64 {
        rx.recv()
            .unwrap_or_else(|_| usage("crossbeam recv: disconnected"))
    }
}

struct RustStd;

/// std's two sender types: channel() gives a Sender, sync_channel(N) a SyncSender.
#[derive(Clone)]
enum StdSender {
    Unbounded(std::sync::mpsc::Sender<u64>),
    Bounded(std::sync::mpsc::SyncSender<u64>),
}

impl Flavor for RustStd {
    type Tx = StdSender;
    type Rx = std::sync::mpsc::Receiver<u64>;
    fn make(capacity: Option<usize>) -> (Self::Tx, Self::Rx) {
        match capacity {
            None => {
                let (tx, rx) = std::sync::mpsc::channel();
                (StdSender::Unbounded(tx), rx)
            }
            Some(c) => {
                let (tx, rx) = std::sync::mpsc::sync_channel(c);
                (StdSender::Bounded(tx), rx)
            }
        }
    }
    fn send(tx: &Self::Tx, v: u64) {
        let ok = match tx {
            StdSender::Unbounded(t) => t.send(v).is_ok(),
            StdSender::Bounded(t) => t.send(v).is_ok(),
        };
        check(ok, "std send");
    }
    fn recv(rx: &Self::Rx) -> u64 {
        rx.recv()
            .unwrap_or_else(|_| usage("std recv: disconnected"))
    }
}

/// `producers` threads send 0..n (a share each); the calling thread receives.
/// One producer: spsc.
fn mpsc<F: Flavor>(capacity: Option<usize>, producers: u64, n: u64) -> f64 {
    let (tx, rx) = F::make(capacity);
    let start = Instant::now();
    let threads: Vec<_> = (0..producers)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in share(p, producers, n) {
                    F::send(&tx, i);
                }
            })
        })
        .collect();
    let mut sum = 0u64;
    for _ in 0..n {
        sum += F::recv(&rx);
    }
    for t in threads {
        t.join().unwrap();
    }
    let s = start.elapsed().as_secs_f64();
    check(sum == expected_sum(n), "mpsc sum");
    s
}

/// Two threads bounce one message over two channels of capacity 1; n round trips.
fn pingpong_threads<F: Flavor>(n: u64) -> f64 {
    let (ping_tx, ping_rx) = F::make(Some(1));
    let (pong_tx, pong_rx) = F::make(Some(1));
    let start = Instant::now();
    let other = thread::spawn(move || {
        for _ in 0..n {
            F::send(&pong_tx, F::recv(&ping_rx) + 1);
        }
    });
    let mut v = 0u64;
    for _ in 0..n {
        F::send(&ping_tx, v);
        v = F::recv(&pong_rx);
    }
    other.join().unwrap();
    let s = start.elapsed().as_secs_f64();
    check(v == n, "pingpong count");
    s
}

fn thread_workload<F: Flavor>(id: &str, n: u64) -> Option<f64> {
    Some(match id {
        "W1" => mpsc::<F>(None, 1, n),
        "W2" => mpsc::<F>(None, 4, n),
        "W3" => mpsc::<F>(Some(1024), 1, n),
        "W4" => mpsc::<F>(Some(1024), 4, n),
        "W5" => mpsc::<F>(Some(1), 1, n),
        "W6" => mpsc::<F>(Some(0), 1, n),
        "W7" => pingpong_threads::<F>(n),
        _ => return None,
    })
}

// ---- crossbeam only: mpmc and select --------------------------------------------------

use crossbeam_channel::{never, select, Receiver, Sender};

/// W8: 4 producer threads, 4 consumer threads receiving n / 4 each, bounded(1024).
fn crossbeam_mpmc(n: u64) -> f64 {
    const PRODUCERS: u64 = 4;
    const CONSUMERS: u64 = 4;
    let (tx, rx) = crossbeam_channel::bounded::<u64>(1024);
    let start = Instant::now();
    let mut threads = Vec::new();
    for p in 0..PRODUCERS {
        let tx = tx.clone();
        threads.push(thread::spawn(move || {
            for i in share(p, PRODUCERS, n) {
                Crossbeam::send(&tx, i);
            }
            0
        }));
    }
    for _ in 0..CONSUMERS {
        let rx = rx.clone();
        threads.push(thread::spawn(move || {
            let mut local = 0u64;
            for _ in 0..n / CONSUMERS {
                local += Crossbeam::recv(&rx);
            }
            local
        }));
    }
    let sum: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let s = start.elapsed().as_secs_f64();
    check(sum == expected_sum(n), "mpmc sum");
    s
}

fn bounded_4() -> (Vec<Sender<u64>>, Vec<Receiver<u64>>) {
    (0..4)
        .map(|_| crossbeam_channel::bounded::<u64>(1024))
        .unzip()
}

/// One select! over recv arms on the 4 receivers; a receiver whose channel is
/// disconnected and drained (`live` false) is replaced by never(), as rill's
/// recv(rx, enabled) arm is disabled. Returns the arm and what it received.
fn select_recv(
    rx: &[Receiver<u64>],
    live: &[bool; 4],
    idle: &Receiver<u64>,
) -> (usize, Option<u64>) {
    let arm = |i: usize| if live[i] { &rx[i] } else { idle };
    let (r0, r1, r2, r3) = (arm(0), arm(1), arm(2), arm(3));
    let (i, m) = select! {
        recv(r0) -> m => (0, m),
        recv(r1) -> m => (1, m),
        recv(r2) -> m => (2, m),
        recv(r3) -> m => (3, m),
    };
    (i, m.ok())
}

/// W12 select_rx: 4 producer threads, each on its own bounded(1024) channel;
/// the calling thread receives all n messages with one select! per message.
fn crossbeam_select_rx(n: u64) -> f64 {
    let (txs, rxs) = bounded_4();
    let idle = never::<u64>();
    let start = Instant::now();
    let threads: Vec<_> = txs
        .into_iter()
        .enumerate()
        .map(|(p, tx)| {
            thread::spawn(move || {
                for i in share(p as u64, 4, n) {
                    Crossbeam::send(&tx, i);
                }
            })
        })
        .collect();
    let mut live = [true; 4];
    let (mut sum, mut got) = (0u64, 0u64);
    while got < n {
        match select_recv(&rxs, &live, &idle) {
            (_, Some(v)) => {
                sum += v;
                got += 1;
            }
            (i, None) => {
                live[i] = false; // that producer is done and its channel drained
                check(live.iter().any(|&l| l), "select_rx: all disconnected early");
            }
        }
    }
    for t in threads {
        t.join().unwrap();
    }
    let s = start.elapsed().as_secs_f64();
    check(sum == expected_sum(n), "select_rx sum");
    s
}

/// W13 select_both: 4 sender threads send each message with one select! over
/// send arms on 4 shared bounded(1024) channels; 4 receiver threads select!
/// over recv arms on the same 4 until every channel is disconnected and drained.
fn crossbeam_select_both(n: u64) -> f64 {
    let (txs, rxs) = bounded_4();
    let start = Instant::now();
    let mut threads = Vec::new();
    for p in 0..4u64 {
        let tx = txs.clone(); // the 4 senders, per thread
        threads.push(thread::spawn(move || {
            for i in share(p, 4, n) {
                let r = select! {
                    send(tx[0], i) -> r => r,
                    send(tx[1], i) -> r => r,
                    send(tx[2], i) -> r => r,
                    send(tx[3], i) -> r => r,
                };
                check(r.is_ok(), "select_both send");
            }
            (0, 0)
        }));
    }
    drop(txs); // only the sender threads keep the channels open now
    for _ in 0..4 {
        let rx = rxs.clone();
        threads.push(thread::spawn(move || {
            let idle = never::<u64>();
            let mut live = [true; 4];
            let (mut local, mut count) = (0u64, 0u64);
            while live.iter().any(|&l| l) {
                match select_recv(&rx, &live, &idle) {
                    (_, Some(v)) => {
                        local += v;
                        count += 1;
                    }
                    (i, None) => live[i] = false,
                }
            }
            (local, count)
        }));
    }
    let (sum, got) = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .fold((0u64, 0u64), |a, b| (a.0 + b.0, a.1 + b.1));
    let s = start.elapsed().as_secs_f64();
    check(got == n && sum == expected_sum(n), "select_both sum");
    s
}

// ---- async workloads on a current-thread tokio runtime: tokio mpsc, flume ------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| usage(&format!("tokio runtime: {}", e)))
}

// Each peer's bounded channel behind the same method names, so that one
// macro writes W9-W11 for both (async fn in traits needs a newer Rust than
// Debian 12's 1.63).
struct TokioTx(tokio::sync::mpsc::Sender<u64>);
struct TokioRx(tokio::sync::mpsc::Receiver<u64>);

impl TokioTx {
    async fn send(&self, v: u64) {
        check(self.0.send(v).await.is_ok(), "tokio send");
    }
    fn send_blocking(&self, v: u64) {
        check(self.0.blocking_send(v).is_ok(), "tokio blocking_send");
    }
}

impl TokioRx {
    async fn recv(&mut self) -> u64 {
        self.0
            .recv()
            .await
            .unwrap_or_else(|| usage("tokio recv: closed"))
    }
}

fn tokio_bounded(capacity: usize) -> (TokioTx, TokioRx) {
    let (tx, rx) = tokio::sync::mpsc::channel(capacity);
    (TokioTx(tx), TokioRx(rx))
}

struct FlumeTx(flume::Sender<u64>);
struct FlumeRx(flume::Receiver<u64>);

impl FlumeTx {
    async fn send(&self, v: u64) {
        check(self.0.send_async(v).await.is_ok(), "flume send_async");
    }
    fn send_blocking(&self, v: u64) {
        check(self.0.send(v).is_ok(), "flume send");
    }
}

impl FlumeRx {
    async fn recv(&mut self) -> u64 {
        self.0
            .recv_async()
            .await
            .unwrap_or_else(|_| usage("flume recv_async: disconnected"))
    }
}

fn flume_bounded(capacity: usize) -> (FlumeTx, FlumeRx) {
    let (tx, rx) = flume::bounded(capacity);
    (FlumeTx(tx), FlumeRx(rx))
}

/// W9-W11 on the channel that `$bounded(capacity)` makes.
macro_rules! async_workloads {
    ($name:ident, $bounded:ident, $rx:ident) => {
        fn $name(id: &str, n: u64) -> Option<f64> {
            async fn sum_all(mut rx: $rx, n: u64) -> u64 {
                let mut sum = 0u64;
                for _ in 0..n {
                    sum += rx.recv().await;
                }
                sum
            }

            let rt = runtime();
            Some(match id {
                // W9: two tasks on one thread bounce one message over two
                // channels of capacity 1; n round trips.
                "W9" => {
                    let (a_tx, mut a_rx) = $bounded(1);
                    let (b_tx, mut b_rx) = $bounded(1);
                    let start = Instant::now();
                    let last = rt.block_on(async move {
                        let echo = tokio::spawn(async move {
                            for _ in 0..n {
                                b_tx.send(a_rx.recv().await + 1).await;
                            }
                        });
                        let drive = tokio::spawn(async move {
                            let mut last = 0;
                            for i in 0..n {
                                a_tx.send(i).await;
                                last = b_rx.recv().await;
                            }
                            last
                        });
                        echo.await.unwrap();
                        drive.await.unwrap()
                    });
                    let s = start.elapsed().as_secs_f64();
                    check(last == n, "async pingpong count");
                    s
                }
                // W10: a producer and a consumer task on one thread, bounded 1024.
                "W10" => {
                    let (tx, rx) = $bounded(1024);
                    let start = Instant::now();
                    let sum = rt.block_on(async move {
                        let producer = tokio::spawn(async move {
                            for i in 0..n {
                                tx.send(i).await;
                            }
                        });
                        let consumer = tokio::spawn(sum_all(rx, n));
                        producer.await.unwrap();
                        consumer.await.unwrap()
                    });
                    let s = start.elapsed().as_secs_f64();
                    check(sum == expected_sum(n), "async spsc sum");
                    s
                }
                // W11: a plain thread sends with the blocking send; a task on
                // the calling thread's runtime receives; bounded 1024.
                "W11" => {
                    let (tx, rx) = $bounded(1024);
                    let start = Instant::now();
                    let producer = thread::spawn(move || {
                        for i in 0..n {
                            tx.send_blocking(i);
                        }
                    });
                    let sum =
                        rt.block_on(async move { tokio::spawn(sum_all(rx, n)).await.unwrap() });
                    producer.join().unwrap();
                    let s = start.elapsed().as_secs_f64();
                    check(sum == expected_sum(n), "thread to task sum");
                    s
                }
                _ => return None,
            })
        }
    };
}

async_workloads!(tokio_workload, tokio_bounded, TokioRx);
async_workloads!(flume_workload, flume_bounded, FlumeRx);

// ---- main -----------------------------------------------------------------------------

fn main() {
    let (mut peer, mut workload, mut n) = (String::new(), String::new(), None::<u64>);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| usage(&format!("{} needs a value", a)));
        match a.as_str() {
            "--peer" => peer = value,
            "--workload" => workload = value,
            "--n" => n = Some(value.parse().unwrap_or_else(|_| usage("--n: not a count"))),
            _ => usage(&format!("unknown option {}", a)),
        }
    }
    let n = n.unwrap_or_else(|| usage("--n missing"));
    let w = workload.as_str();
    let seconds = match peer.as_str() {
        "crossbeam" => match w {
            "W8" => Some(crossbeam_mpmc(n)),
            "W12" => Some(crossbeam_select_rx(n)),
            "W13" => Some(crossbeam_select_both(n)),
            _ => thread_workload::<Crossbeam>(w, n),
        },
        "rust_std" => thread_workload::<RustStd>(w, n),
        "tokio" => tokio_workload(w, n),
        "flume" => flume_workload(w, n),
        _ => usage(&format!("unknown peer {}", peer)),
    };
    match seconds {
        Some(s) => println!("{:.9}", s),
        None => usage(&format!("peer {} has no workload {}", peer, workload)),
    }
}
