package main

import (
	"fmt"
)

// Queued implements local.LiveEvents: the scan closed one more partition.
func (p *progress) Queued(_ int, _, _ int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total++
	if p.bar != nil {
		p.bar.Describe(p.count())
	}
}

// Scanned implements local.LiveEvents: the work is known, and the bar
// shows a percentage from now on.
func (p *progress) Scanned(partitions int, _, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scanning = false
	p.total = partitions
	if p.bar != nil {
		p.bar.ChangeMax64(bytes)
		p.bar.Describe(p.count())
	}
}

// Note prints a line between the bar's updates.
func (p *progress) Note(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintln(p.w, line)
}

// count is "done/total partitions"; while a live run scans, the total
// is what the scan closed so far: "3/7+ partitions, scanning".
func (p *progress) count() string {
	if p.scanning {
		return fmt.Sprintf("%d/%d+ partitions, scanning", p.done, p.total)
	}
	return fmt.Sprintf("%d/%d partitions", p.done, p.total)
}
