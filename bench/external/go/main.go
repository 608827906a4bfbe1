// rill_bench's Go peer: one cell (one workload on Go's channels) run once.
//
//	rill_bench_go --peer go --workload W3..W13 --n COUNT
//
// Prints the wall time of the timed part in seconds on stdout and exits 0,
// or exits 1 (wrong sum or count) or 2 (bad arguments, a workload Go has no
// channel for). The workloads are bench/workloads.hpp's and
// bench/select_workloads.hpp's, with goroutines for threads and coroutines:
// channel creation is outside the timing, starting the goroutines and
// waiting for them inside, and every workload checks that the sum of what was
// received is what was sent.
//
//   - W3-W8, W12, W13: goroutines for the threads, the main goroutine for the
//     calling thread, GOMAXPROCS as the runtime sets it (the number of CPUs).
//     make(chan uint64, 0) is the rendezvous of W6. A producer closes its
//     channel when done (W12); in W13 the channels are closed once all four
//     senders are done, as Go wants a channel closed by its senders' side.
//   - W9, W10 (one thread in rill's rows): GOMAXPROCS(1), two goroutines (the
//     main one and one started).
//   - W11 (a thread sends into a coroutine): the producer goroutine is locked
//     to an OS thread of its own (runtime.LockOSThread), the main goroutine
//     receives, GOMAXPROCS as the runtime sets it.
//   - No W1, W2: Go has no unbounded channel.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func expectedSum(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	return n * (n - 1) / 2
}

func check(ok bool, what string) {
	if !ok {
		fmt.Fprintf(os.Stderr, "rill_bench_go: check failed: %s\n", what)
		os.Exit(1)
	}
}

// shareBegin and shareEnd: producer p's share of 0..n among `producers`.
func shareBegin(p, producers, n uint64) uint64 { return n * p / producers }
func shareEnd(p, producers, n uint64) uint64   { return n * (p + 1) / producers }

// mpsc: `producers` goroutines send 0..n (a share each); the main goroutine
// receives. One producer: spsc.
func mpsc(capacity int, producers, n uint64) float64 {
	ch := make(chan uint64, capacity)
	start := time.Now()
	var wg sync.WaitGroup
	for p := uint64(0); p < producers; p++ {
		wg.Add(1)
		go func(p uint64) {
			defer wg.Done()
			for i, end := shareBegin(p, producers, n), shareEnd(p, producers, n); i < end; i++ {
				ch <- i
			}
		}(p)
	}
	sum := uint64(0)
	for i := uint64(0); i < n; i++ {
		sum += <-ch
	}
	wg.Wait()
	s := time.Since(start).Seconds()
	check(sum == expectedSum(n), "mpsc sum")
	return s
}

// mpmc: 4 producer goroutines, 4 consumers receiving n / 4 each.
func mpmc(capacity int, n uint64) float64 {
	const producers, consumers = 4, 4
	ch := make(chan uint64, capacity)
	var sum atomic.Uint64
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(producers + consumers)
	for p := uint64(0); p < producers; p++ {
		go func(p uint64) {
			defer wg.Done()
			for i, end := shareBegin(p, producers, n), shareEnd(p, producers, n); i < end; i++ {
				ch <- i
			}
		}(p)
	}
	for c := 0; c < consumers; c++ {
		go func() {
			defer wg.Done()
			local := uint64(0)
			for i := uint64(0); i < n/consumers; i++ {
				local += <-ch
			}
			sum.Add(local)
		}()
	}
	wg.Wait()
	s := time.Since(start).Seconds()
	check(sum.Load() == expectedSum(n), "mpmc sum")
	return s
}

// pingpong: two goroutines bounce one message over two channels of
// capacity 1; n round trips.
func pingpong(n uint64) float64 {
	ping, pong := make(chan uint64, 1), make(chan uint64, 1)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		for i := uint64(0); i < n; i++ {
			pong <- (<-ping) + 1
		}
		close(done)
	}()
	v := uint64(0)
	for i := uint64(0); i < n; i++ {
		ping <- v
		v = <-pong
	}
	<-done
	s := time.Since(start).Seconds()
	check(v == n, "pingpong count")
	return s
}

// lockedProducer: W11, a producer goroutine on an OS thread of its own
// sends 0..n into a bounded(1024) channel; the main goroutine receives.
func lockedProducer(n uint64) float64 {
	ch := make(chan uint64, 1024)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := uint64(0); i < n; i++ {
			ch <- i
		}
		close(done)
	}()
	sum := uint64(0)
	for i := uint64(0); i < n; i++ {
		sum += <-ch
	}
	<-done
	s := time.Since(start).Seconds()
	check(sum == expectedSum(n), "thread to goroutine sum")
	return s
}

// selectRecv: one select over the 4 channels; a closed and drained channel
// is set to nil (a nil channel is never ready), as rill's recv(rx, enabled)
// arm is disabled. Returns what was received, or false when the channel of
// that arm was found closed.
func selectRecv(chs *[4]chan uint64) (uint64, bool) {
	var v uint64
	var ok bool
	var i int
	select {
	case v, ok = <-chs[0]:
		i = 0
	case v, ok = <-chs[1]:
		i = 1
	case v, ok = <-chs[2]:
		i = 2
	case v, ok = <-chs[3]:
		i = 3
	}
	if !ok {
		chs[i] = nil
	}
	return v, ok
}

func allNil(chs *[4]chan uint64) bool {
	return chs[0] == nil && chs[1] == nil && chs[2] == nil && chs[3] == nil
}

func bounded4() [4]chan uint64 {
	var chs [4]chan uint64
	for c := range chs {
		chs[c] = make(chan uint64, 1024)
	}
	return chs
}

// selectRx: W12, 4 producer goroutines, each on its own bounded(1024)
// channel; the main goroutine receives all n messages with one select per
// message.
func selectRx(n uint64) float64 {
	chs := bounded4()
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(4)
	for p := range chs {
		go func(p uint64, ch chan uint64) {
			defer wg.Done()
			for i, end := shareBegin(p, 4, n), shareEnd(p, 4, n); i < end; i++ {
				ch <- i
			}
			close(ch)
		}(uint64(p), chs[p])
	}
	live := chs
	sum, got := uint64(0), uint64(0)
	for got < n {
		if v, ok := selectRecv(&live); ok {
			sum += v
			got++
		} else {
			check(!allNil(&live), "select_rx: all closed early")
		}
	}
	wg.Wait()
	s := time.Since(start).Seconds()
	check(sum == expectedSum(n), "select_rx sum")
	return s
}

// selectBoth: W13, 4 sender goroutines send each message with one select
// over send cases on 4 shared bounded(1024) channels; 4 receiver goroutines
// select over the same 4 until every channel is closed and drained.
func selectBoth(n uint64) float64 {
	chs := bounded4()
	var sum, got atomic.Uint64
	start := time.Now()
	var senders, receivers sync.WaitGroup
	senders.Add(4)
	for p := uint64(0); p < 4; p++ {
		go func(p uint64) {
			defer senders.Done()
			for i, end := shareBegin(p, 4, n), shareEnd(p, 4, n); i < end; i++ {
				select {
				case chs[0] <- i:
				case chs[1] <- i:
				case chs[2] <- i:
				case chs[3] <- i:
				}
			}
		}(p)
	}
	go func() { // the senders' side closes the channels once all four are done
		senders.Wait()
		for _, ch := range chs {
			close(ch)
		}
	}()
	receivers.Add(4)
	for r := 0; r < 4; r++ {
		go func() {
			defer receivers.Done()
			live := chs
			local, count := uint64(0), uint64(0)
			for !allNil(&live) {
				if v, ok := selectRecv(&live); ok {
					local += v
					count++
				}
			}
			sum.Add(local)
			got.Add(count)
		}()
	}
	receivers.Wait()
	s := time.Since(start).Seconds()
	check(got.Load() == n && sum.Load() == expectedSum(n), "select_both sum")
	return s
}

func main() {
	peer := flag.String("peer", "go", "the peer: go")
	workload := flag.String("workload", "", "W3..W13")
	n := flag.Uint64("n", 0, "messages (round trips for W7, W9)")
	flag.Parse()
	if *peer != "go" || flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "rill_bench_go: unknown peer %q or extra arguments\n", *peer)
		os.Exit(2)
	}
	var s float64
	switch *workload {
	case "W3":
		s = mpsc(1024, 1, *n)
	case "W4":
		s = mpsc(1024, 4, *n)
	case "W5":
		s = mpsc(1, 1, *n)
	case "W6":
		s = mpsc(0, 1, *n)
	case "W7":
		s = pingpong(*n)
	case "W8":
		s = mpmc(1024, *n)
	case "W9":
		runtime.GOMAXPROCS(1)
		s = pingpong(*n)
	case "W10":
		runtime.GOMAXPROCS(1)
		s = mpsc(1024, 1, *n)
	case "W11":
		s = lockedProducer(*n)
	case "W12":
		s = selectRx(*n)
	case "W13":
		s = selectBoth(*n)
	default:
		fmt.Fprintf(os.Stderr, "rill_bench_go: no workload %q for Go's channels (W1, W2: Go has no unbounded channel)\n", *workload)
		os.Exit(2)
	}
	fmt.Printf("%.9f\n", s)
}
