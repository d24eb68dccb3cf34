package scan

import (
	"slices"
	"sync"
	"sync/atomic"
)

// pool runs tasks on a fixed number of goroutines, most urgent first.
//
// Urgency is the task's key: the position in depth-first pre-order of the
// directory it reads, as the path of child indexes from the root. The emitter
// needs directories in that order, so the lowest key is always run first.
type pool struct {
	mu     sync.Mutex
	wake   sync.Cond
	queue  []*task // a binary min-heap by (key, seq)
	seq    uint64
	closed bool

	stop atomic.Bool // set by close: running tasks return early
	wg   sync.WaitGroup
}

// task is one unit of work. run gets the worker's scratch buffer.
type task struct {
	key []int32
	seq uint64
	run func(buf []byte)
}

// newPool starts n workers.
func newPool(n int) *pool {
	p := &pool{}
	p.wake.L = &p.mu
	for range n {
		p.wg.Go(p.work)
	}
	return p
}

// work runs tasks until the pool is closed.
func (p *pool) work() {
	var buf []byte // allocated on the first task: most workers of a small walk idle
	for {
		t := p.next()
		if t == nil {
			return
		}
		if buf == nil {
			buf = make([]byte, scratchSize)
		}
		t.run(buf)
	}
}

// submit queues run with the given urgency. It does nothing once the pool is closed.
func (p *pool) submit(key []int32, run func(buf []byte)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.seq++
	p.queue = append(p.queue, &task{key: key, seq: p.seq, run: run})
	p.up(len(p.queue) - 1)
	p.wake.Signal()
}

// next waits for the most urgent task; nil once the pool is closed.
func (p *pool) next() *task {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.queue) == 0 && !p.closed {
		p.wake.Wait()
	}
	if p.closed {
		return nil
	}
	t := p.queue[0]
	last := len(p.queue) - 1
	p.queue[0] = p.queue[last]
	p.queue[last] = nil
	p.queue = p.queue[:last]
	p.down(0)
	return t
}

// close stops the pool: queued tasks are dropped, running ones are told to
// stop early. It may be called more than once and from any goroutine.
func (p *pool) close() {
	p.stop.Store(true)
	p.mu.Lock()
	p.closed = true
	clear(p.queue)
	p.queue = nil
	p.mu.Unlock()
	p.wake.Broadcast()
}

// stopped reports whether close was called.
func (p *pool) stopped() bool { return p.stop.Load() }

// wait returns when every worker has returned.
func (p *pool) wait() { p.wg.Wait() }

func (p *pool) less(i, j int) bool {
	a, b := p.queue[i], p.queue[j]
	if c := slices.Compare(a.key, b.key); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}

func (p *pool) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !p.less(i, parent) {
			return
		}
		p.queue[i], p.queue[parent] = p.queue[parent], p.queue[i]
		i = parent
	}
}

func (p *pool) down(i int) {
	n := len(p.queue)
	for {
		least := i
		if l := 2*i + 1; l < n && p.less(l, least) {
			least = l
		}
		if r := 2*i + 2; r < n && p.less(r, least) {
			least = r
		}
		if least == i {
			return
		}
		p.queue[i], p.queue[least] = p.queue[least], p.queue[i]
		i = least
	}
}
