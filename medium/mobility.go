// SPDX-License-Identifier: MIT

package medium

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// DefaultMobilityTick is how often moving radios' positions, and with
// them their links, are updated.
const DefaultMobilityTick = 100 * time.Millisecond

// MaxSpeed bounds a radio's speed (m/s): well above any vehicle, low
// enough that a typo is caught.
const MaxSpeed = 1000.0

// Waypoint is a point of a radio's path and the speed (m/s) it travels
// to it at; speed 0 jumps there.
type Waypoint struct {
	X     float64 `json:"x" yaml:"x"`
	Y     float64 `json:"y" yaml:"y"`
	Z     float64 `json:"z" yaml:"z"`
	Speed float64 `json:"speed" yaml:"speed"`
}

// RandomWaypoint is the random-waypoint mobility model: pick a uniform
// point in the box, travel to it at Speed, pause, repeat.
type RandomWaypoint struct {
	Min   Position `json:"min" yaml:"min"`
	Max   Position `json:"max" yaml:"max"`
	Speed float64  `json:"speed" yaml:"speed"`
	// Pause at each point, in seconds.
	Pause float64 `json:"pause,omitempty" yaml:"pause,omitempty"`
}

// Mobility is how one radio moves: along Path (once, or forever with
// Loop), or by random waypoint.
type Mobility struct {
	Path           []Waypoint      `json:"path,omitempty"`
	Loop           bool            `json:"loop,omitempty"`
	RandomWaypoint *RandomWaypoint `json:"random_waypoint,omitempty"`
}

// ValidateSpeed checks a speed in m/s.
func ValidateSpeed(v float64) error {
	if math.IsNaN(v) || v < 0 || v > MaxSpeed {
		return &InvalidValueError{What: "speed", Value: strconv.FormatFloat(v, 'g', -1, 64),
			Accepted: fmt.Sprintf("metres per second from 0 (jump) to %g", MaxSpeed)}
	}
	return nil
}

func validPosition(p Position) error {
	for _, v := range []float64{p.X, p.Y, p.Z} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &InvalidValueError{What: "position", Value: fmt.Sprintf("%g %g %g", p.X, p.Y, p.Z), Accepted: "finite coordinates in metres"}
		}
	}
	return nil
}

// Validate checks a mobility description.
func (mb *Mobility) Validate() error {
	if len(mb.Path) > 0 && mb.RandomWaypoint != nil {
		return &InvalidValueError{What: "mobility", Value: "path and random-waypoint", Accepted: "one of them"}
	}
	for _, w := range mb.Path {
		if err := validPosition(Position{w.X, w.Y, w.Z}); err != nil {
			return err
		}
		if err := ValidateSpeed(w.Speed); err != nil {
			return err
		}
	}
	if rw := mb.RandomWaypoint; rw != nil {
		if err := validPosition(rw.Min); err != nil {
			return err
		}
		if err := validPosition(rw.Max); err != nil {
			return err
		}
		if rw.Min.X > rw.Max.X || rw.Min.Y > rw.Max.Y || rw.Min.Z > rw.Max.Z {
			return &InvalidValueError{What: "random-waypoint box", Value: fmt.Sprintf("min %v max %v", rw.Min, rw.Max),
				Accepted: "min ≤ max on every axis"}
		}
		if err := ValidateSpeed(rw.Speed); err != nil {
			return err
		}
		if rw.Speed == 0 {
			return &InvalidValueError{What: "random-waypoint speed", Value: "0", Accepted: "a speed above 0 m/s"}
		}
		if math.IsNaN(rw.Pause) || rw.Pause < 0 || rw.Pause > 86400 {
			return &InvalidValueError{What: "random-waypoint pause", Value: strconv.FormatFloat(rw.Pause, 'g', -1, 64), Accepted: "seconds from 0 to 86400"}
		}
	}
	return nil
}

// motion is a radio's movement in progress.
type motion struct {
	target Position
	speed  float64
	path   []Waypoint // remaining waypoints after target
	all    []Waypoint // the whole path (Loop)
	loop   bool
	rw     *RandomWaypoint
	rng    *rand.Rand
	pause  time.Duration
}

// MoveTo sends radio name towards p at speed m/s; speed 0 puts it there
// at once. A radio without a position yet is placed at p.
func (m *Medium) MoveTo(name string, p Position, speed float64) error {
	if err := validPosition(p); err != nil {
		return err
	}
	if err := ValidateSpeed(speed); err != nil {
		return err
	}
	m.mu.Lock()
	if _, err := m.lookupLocked(name); err != nil {
		m.mu.Unlock()
		return err
	}
	_, has := m.pos[name]
	delete(m.motion, name)
	if speed == 0 || !has {
		m.pos[name] = p
		m.rebuildLocked()
	} else {
		m.motion[name] = &motion{target: p, speed: speed}
	}
	m.mu.Unlock()
	m.changed()
	return nil
}

// SetMobility makes radio name (registered or not yet) move as mb says,
// from its current position; a zero Mobility stops it.
func (m *Medium) SetMobility(name string, mb Mobility) error {
	if err := mb.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.motion, name)
	switch {
	case len(mb.Path) > 0:
		w := mb.Path[0]
		mo := &motion{target: Position{w.X, w.Y, w.Z}, speed: w.Speed, path: mb.Path[1:], loop: mb.Loop, all: mb.Path}
		m.motion[name] = mo
	case mb.RandomWaypoint != nil:
		rw := *mb.RandomWaypoint
		mo := &motion{rw: &rw, rng: rand.New(rand.NewPCG(m.opts.Seed, nameHash(name)))}
		mo.target = mo.randomPoint()
		mo.speed = rw.Speed
		m.motion[name] = mo
	}
	if _, ok := m.pos[name]; !ok {
		if mo := m.motion[name]; mo != nil {
			m.pos[name] = mo.target
			mo.advance()
		}
	}
	m.rebuildLocked()
	return nil
}

func (mo *motion) randomPoint() Position {
	u := func(a, b float64) float64 { return a + (b-a)*mo.rng.Float64() }
	return Position{u(mo.rw.Min.X, mo.rw.Max.X), u(mo.rw.Min.Y, mo.rw.Max.Y), u(mo.rw.Min.Z, mo.rw.Max.Z)}
}

// advance picks the next target after reaching one; false when the
// motion is over.
func (mo *motion) advance() bool {
	switch {
	case mo.rw != nil:
		mo.target = mo.randomPoint()
		mo.pause = time.Duration(mo.rw.Pause * float64(time.Second))
		return true
	case len(mo.path) > 0:
		w := mo.path[0]
		mo.target, mo.speed, mo.path = Position{w.X, w.Y, w.Z}, w.Speed, mo.path[1:]
		return true
	case mo.loop && len(mo.all) > 1:
		mo.path = mo.all
		return mo.advance()
	}
	return false
}

// step moves p towards the motion's target for dt; it reports the new
// position and whether the motion continues.
func (mo *motion) step(p Position, dt time.Duration) (Position, bool) {
	for hops := 0; dt > 0 && hops < 1000; hops++ { // hops: a looping path of jumps never ends
		if mo.pause > 0 {
			if mo.pause >= dt {
				mo.pause -= dt
				return p, true
			}
			dt -= mo.pause
			mo.pause = 0
		}
		d := p.Distance(mo.target)
		if mo.speed == 0 || d == 0 {
			p = mo.target
			if !mo.advance() {
				return p, false
			}
			continue
		}
		reach := time.Duration(d / mo.speed * float64(time.Second))
		if reach > dt {
			f := mo.speed * dt.Seconds() / d
			p = Position{p.X + (mo.target.X-p.X)*f, p.Y + (mo.target.Y-p.Y)*f, p.Z + (mo.target.Z-p.Z)*f}
			return p, true
		}
		dt -= reach
		p = mo.target
		if !mo.advance() {
			return p, false
		}
	}
	return p, true
}

// Tick advances every moving radio by dt and recompiles the links once
// if anything moved. Radios that arrive at their last point persist
// their position (state is not saved on every tick).
func (m *Medium) Tick(dt time.Duration) {
	m.mu.Lock()
	moved, arrived := false, false
	for name, mo := range m.motion {
		p, ok := m.pos[name]
		if !ok {
			continue
		}
		np, more := mo.step(p, dt)
		if np != p {
			m.pos[name] = np
			moved = true
		}
		if !more {
			delete(m.motion, name)
			arrived = true
		}
	}
	if moved {
		m.rebuildLocked()
	}
	m.mu.Unlock()
	if arrived {
		m.changed()
	}
}

// Moving reports whether radio name is on its way somewhere.
func (m *Medium) Moving(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.motion[name] != nil
}

// RunMobility ticks the moving radios every tick (DefaultMobilityTick when
// 0) until ctx ends.
func (m *Medium) RunMobility(ctx context.Context, tick time.Duration) {
	if tick <= 0 {
		tick = DefaultMobilityTick
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.Tick(now.Sub(last))
			last = now
		}
	}
}
