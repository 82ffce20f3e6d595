// SPDX-License-Identifier: MIT

// Command vmctl drives a running vmedium over its control socket: status,
// radios, links, deny/allow, positions and live pcap capture.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/control"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // not running, internal error
	exitBadUse  = 2 // bad input: nothing was changed
)

const usage = `usage: vmctl [--socket PATH] [--json] VERB [ARGS]

Verbs:
  status [--wait DURATION]                starting or live, and the live radio kinds;
                                          --wait blocks until live (exit 1 on timeout)
  radios                                  the radios, their MAC state, counters and
                                          IPv4 address with its source (static, dhcp)
  leases                                  the lab's DHCP leases (MAC, radio, IP, expiry)
  links                                   the effective link matrix (signal, loss, deny)
  link -s SRC -d DST [--signal DBM] [--loss P] [--reset]
                                          set (or reset) the link SRC→DST
  move NAME X Y Z [--speed M/S]           place a radio (metres), or send it there at
                                          a speed; links follow every mobility tick
  air                                     print the air model
  air [--errors flat|per] [--airtime off|account|timed]
      [--propagation MODEL] [--PARAM VALUE …] [--noise-floor DBM|default]
      [--fading none|log-normal|rayleigh] [--fading-sigma DB]
                                          change it (PARAM: exponent, ref-loss-db,
                                          ref-distance, sigma-db, tx-height, rx-height,
                                          system-loss-db, power-loss-coeff, floors,
                                          floor-loss-db, floor-step-db, seed)
  deny                                    list deny pairs
  deny -s SRC -d DST                      DST stops hearing SRC
  deny -c                                 clear every deny pair
  allow -s SRC -d DST                     DST hears SRC again
  capture -o FILE|- [-r RADIO] [-t DURATION]
                                          live pcap (-o - streams to stdout:
                                          vmctl capture -o - | wireshark -k -i -)
  wserver REQUEST ARGS                    one request to a wmediumd's runtime socket
                                          (-s; vmctl wserver lists the requests)
  help                                    this text

Global flags:
  --socket PATH   control socket (default ` + control.DefaultSocket + `)
  --json          machine-readable output
Exit status: 0 ok, 1 not running (or not live after --wait) or failed,
2 bad input (nothing changed).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is a bad command line: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

type app struct {
	stdout, stderr io.Writer
	client         *control.Client
	json           bool
	socket         string
}

// run is vmctl: it parses args, talks to the server and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("vmctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.socket, "socket", control.DefaultSocket, "control socket")
	fs.BoolVar(&a.json, "json", false, "JSON output")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return exitOK
		}
		fmt.Fprintf(stderr, "vmctl: %v\n\n%s", err, usage)
		return exitBadUse
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		return exitBadUse
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	a.client = control.NewClient(a.socket)
	ctx := context.Background()
	var err error
	switch verb {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "status":
		return a.status(ctx, rest)
	case "radios":
		err = a.radios(ctx, rest)
	case "leases":
		err = a.leases(ctx, rest)
	case "links":
		err = a.links(ctx, rest)
	case "link":
		err = a.link(ctx, rest)
	case "move":
		err = a.move(ctx, rest)
	case "air":
		err = a.air(ctx, rest)
	case "deny":
		err = a.deny(ctx, rest)
	case "allow":
		err = a.allow(ctx, rest)
	case "capture":
		err = a.capture(ctx, rest)
	case "wserver":
		err = a.wserver(ctx, rest)
	default:
		err = usagef("unknown verb %q: accepted are status, radios, leases, links, link, move, air, deny, allow, capture, wserver, help", verb)
	}
	return a.exit(verb, err)
}

func (a *app) exit(verb string, err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(a.stdout, usage)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "vmctl %s: %v\n(see vmctl help)\n", verb, err)
		return exitBadUse
	case control.IsBadInput(err) || medium.IsBadInput(err):
		fmt.Fprintf(a.stderr, "vmctl %s: %v\n", verb, err)
		return exitBadUse
	case errors.Is(err, control.ErrNotRunning), errors.Is(err, control.ErrPermission):
		fmt.Fprintf(a.stderr, "vmctl %s: %v\n", verb, err)
		return exitFailure
	}
	fmt.Fprintf(a.stderr, "vmctl %s: %v\n", verb, err)
	return exitFailure
}

// flags returns a verb's flag set; --json is accepted after the verb too.
func (a *app) flags(verb string) *flag.FlagSet {
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&a.json, "json", a.json, "JSON output")
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		if strings.HasPrefix(err.Error(), "flag provided but not defined") {
			return usagef("%v (accepted: %s)", err, flagNames(fs))
		}
		return usagef("%v", err)
	}
	if fs.NArg() > maxArgs {
		return usagef("unexpected argument %q", fs.Arg(maxArgs))
	}
	return nil
}

// flagNames lists a verb's flags for an error: --a, --b, ….
func flagNames(fs *flag.FlagSet) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) == 1 {
			names = append(names, "-"+f.Name)
		} else {
			names = append(names, "--"+f.Name)
		}
	})
	return strings.Join(names, ", ")
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) status(ctx context.Context, args []string) int {
	fs := a.flags("status")
	waitFor := fs.String("wait", "", "block until live, at most this long (e.g. 30s)")
	if err := parseFlags(fs, args, 0); err != nil {
		return a.exit("status", err)
	}
	var st control.Status
	var err error
	if *waitFor != "" {
		d, perr := time.ParseDuration(*waitFor)
		if perr != nil || d <= 0 || d > control.MaxStatusWait {
			return a.exit("status", &medium.InvalidValueError{What: "--wait", Value: strconv.Quote(*waitFor),
				Accepted: "a duration from 1ns to " + control.MaxStatusWait.String() + " such as 30s"})
		}
		st, err = a.client.WaitLive(ctx, d)
	} else {
		st, err = a.client.Status(ctx)
	}
	switch {
	case errors.Is(err, control.ErrNotRunning):
		if a.json {
			a.printJSON(map[string]any{"live": false, "state": "not running", "socket": a.socket})
		} else {
			fmt.Fprintln(a.stdout, "vmedium status: not running")
			fmt.Fprintf(a.stderr, "(%v)\n", err)
		}
		return exitFailure
	case errors.Is(err, control.ErrNotLive):
		if a.json {
			a.printJSON(struct {
				Live bool `json:"live"`
				control.Status
			}{false, st})
		} else {
			fmt.Fprintf(a.stdout, "vmedium status: %s\n", st.State)
		}
		fmt.Fprintf(a.stderr, "vmctl status: %v\n", err)
		return exitFailure
	case err != nil:
		return a.exit("status", err)
	}
	if a.json {
		a.printJSON(struct {
			Live bool `json:"live"`
			control.Status
		}{st.State == control.PhaseLive, st})
		return exitOK
	}
	w := a.stdout
	fmt.Fprintf(w, "vmedium status: %s\n", st.State)
	fmt.Fprintf(w, "version: %s (%s), up %s, seed %d\n", st.Version, st.GoVersion,
		(time.Duration(st.UptimeSeconds) * time.Second).String(), st.Seed)
	fmt.Fprintf(w, "radios: %d\n", st.Radios)
	if st.State == control.PhaseLive {
		for _, k := range st.Kinds {
			switch {
			case k.Summary != "":
				fmt.Fprintln(w, k.Summary)
			case k.Live:
				fmt.Fprintf(w, "%s: live, %d %s\n", k.Kind, k.Radios, plural(k.Radios, "radio", "radios"))
			}
		}
	}
	fmt.Fprintf(w, "deny pairs: %d, explicit links: %d\n", st.DenyPairs, st.ExplicitLinks)
	if st.Air != "" {
		fmt.Fprintf(w, "air: %s\n", st.Air)
	}
	if st.StateFile != "" {
		fmt.Fprintf(w, "state: %s\n", st.StateFile)
	}
	return exitOK
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (a *app) radios(ctx context.Context, args []string) error {
	if err := parseFlags(a.flags("radios"), args, 0); err != nil {
		return err
	}
	rs, err := a.client.Radios(ctx)
	if err != nil {
		return err
	}
	addrs := a.addresses(ctx)
	if a.json {
		return a.printJSON(withAddressing(rs, addrs))
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	// CIPHER comes last: scripts match the columns before it (new ones go
	// just before it).
	fmt.Fprintln(tw, "NAME\tKIND\tADDR\tFREQ\tROLE\tSTATE\tSSID\tBSSID\tSIGNAL\tTX\tRX\tDROPS\tIP\tFROM\tCIPHER")
	for _, r := range rs {
		role, state, ssid, bssid, cipher, sig := "-", "-", "-", "-", "-", "-"
		if m := r.MAC; m != nil {
			role, state, ssid, bssid, cipher = dash(m.Role), dash(m.State), dash(m.SSID), dash(m.BSSID), dash(m.Cipher)
			if m.SignalDBm != nil {
				sig = fmt.Sprintf("%d dBm", *m.SignalDBm)
			}
		}
		var drops uint64
		for _, v := range r.Stats.Drops {
			drops += v
		}
		freq := "all"
		switch {
		case r.FreqMHz != 0:
			freq = fmt.Sprintf("%d MHz", r.FreqMHz)
		case r.MAC != nil && r.MAC.FreqMHz != 0: // hwsim: the MAC's channel
			freq = fmt.Sprintf("%d MHz", r.MAC.FreqMHz)
		}
		ip, from := "-", "-"
		if ad, ok := addrs[r.Name]; ok {
			ip, from = dash(ad.Addr), dash(ad.Source)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", r.Name, r.Kind, r.Addr, freq,
			role, state, ssid, bssid, sig, r.Stats.TxFrames, r.Stats.RxFrames, drops, ip, from, cipher)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) links(ctx context.Context, args []string) error {
	if err := parseFlags(a.flags("links"), args, 0); err != nil {
		return err
	}
	ls, err := a.client.Links(ctx)
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(ls)
	}
	if len(ls) == 0 {
		fmt.Fprintln(a.stdout, "no links (fewer than two radios)")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SRC\tDST\tSIGNAL\tFROM\tLOSS\tSNR\tMAX RATE\tHEARD")
	for _, l := range ls {
		heard := "yes"
		switch {
		case l.Denied:
			heard = "no (denied)"
		case !l.InRange:
			heard = "no (out of range)"
		}
		rate := "none"
		if l.MaxRate != "" {
			rate = fmt.Sprintf("%s (%g Mbit/s)", l.MaxRate, float64(l.MaxRateKbps)/1000)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d dBm\t%s\t%s\t%.1f dB\t%s\t%s\n", l.Src, l.Dst, l.SignalDBm, l.Source,
			strconv.FormatFloat(l.Loss, 'g', -1, 64), l.SNRDB, rate, heard)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return a.matrix(ls)
}

// matrix prints the effective signal as a grid: row transmits, column
// hears; "denied" and "weak" (below sensitivity) mark pairs that hear nothing.
func (a *app) matrix(ls []medium.LinkInfo) error {
	var names []string
	seen := map[string]bool{}
	cell := map[[2]string]string{}
	for _, l := range ls {
		for _, n := range []string{l.Src, l.Dst} {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		c := strconv.Itoa(int(l.SignalDBm))
		switch {
		case l.Denied:
			c = "denied"
		case !l.InRange:
			c = "weak"
		case l.Loss > 0:
			c += "/" + strconv.FormatFloat(l.Loss, 'g', 3, 64)
		}
		cell[[2]string{l.Src, l.Dst}] = c
	}
	fmt.Fprintln(a.stdout, "\nsignal dBm[/loss], row transmits → column hears:")
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\t%s\n", strings.Join(names, "\t"))
	for _, s := range names {
		row := []string{s}
		for _, d := range names {
			c := cell[[2]string{s, d}]
			if s == d {
				c = "·"
			}
			row = append(row, c)
		}
		fmt.Fprintf(tw, "%s\n", strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// pairFlags adds -s and -d.
func pairFlags(fs *flag.FlagSet) (src, dst *string) {
	return fs.String("s", "", "source radio"), fs.String("d", "", "destination radio")
}

func requirePair(verb, src, dst string) error {
	if src == "" || dst == "" {
		return usagef("-s SRC and -d DST are both required (e.g. vmctl %s -s vw1 -d vw2)", verb)
	}
	return nil
}

func parseNumber(what, v, accepted string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, &medium.InvalidValueError{What: what, Value: strconv.Quote(v), Accepted: accepted}
	}
	return f, nil
}

func (a *app) link(ctx context.Context, args []string) error {
	fs := a.flags("link")
	src, dst := pairFlags(fs)
	signal := fs.String("signal", "", "signal in dBm")
	loss := fs.String("loss", "", "loss probability 0..1")
	reset := fs.Bool("reset", false, "back to the model (positions/default)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if err := requirePair("link", *src, *dst); err != nil {
		return err
	}
	req := control.LinkRequest{Src: *src, Dst: *dst, Reset: *reset}
	if *signal != "" {
		v, err := parseNumber("signal", *signal, "a level in dBm from -150 to 30")
		if err != nil {
			return err
		}
		if err := medium.ValidateSignal(v); err != nil {
			return err
		}
		req.SignalDBm = &v
	}
	if *loss != "" {
		v, err := parseNumber("loss", *loss, "a probability from 0 to 1")
		if err != nil {
			return err
		}
		if err := medium.ValidateLoss(v); err != nil {
			return err
		}
		req.Loss = &v
	}
	if *reset && (req.SignalDBm != nil || req.Loss != nil) {
		return usagef("--reset cannot be combined with --signal or --loss")
	}
	if !*reset && req.SignalDBm == nil && req.Loss == nil {
		return usagef("nothing to set: give --signal DBM, --loss P or --reset")
	}
	res, err := a.client.SetLink(ctx, req)
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	l := res.Link
	fmt.Fprintf(a.stdout, "%s → %s: signal %d dBm (%s), loss %s\n", l.Src, l.Dst, l.SignalDBm, l.Source,
		strconv.FormatFloat(l.Loss, 'g', -1, 64))
	return nil
}

func (a *app) move(ctx context.Context, args []string) error {
	// Flags may come after the coordinates, and coordinates may be
	// negative: only --speed and --json are flags here.
	var pos []string
	speed := ""
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--json" || arg == "-json":
			a.json = true
		case arg == "--speed" || arg == "-speed":
			if i+1 >= len(args) {
				return usagef("--speed needs a value in metres per second")
			}
			i++
			speed = args[i]
		case strings.HasPrefix(arg, "--speed=") || strings.HasPrefix(arg, "-speed="):
			speed = arg[strings.IndexByte(arg, '=')+1:]
		case arg == "-h" || arg == "--help":
			return flag.ErrHelp
		case strings.HasPrefix(arg, "-") && len(arg) > 1 && (arg[1] < '0' || arg[1] > '9') && arg[1] != '.':
			return usagef("flag provided but not defined: %s (accepted: --speed M/S, --json)", arg)
		default:
			pos = append(pos, arg)
		}
	}
	if len(pos) != 4 {
		return usagef("move takes a radio name and three coordinates: vmctl move NAME X Y Z [--speed M/S] (metres)")
	}
	var xyz [3]float64
	for i, axis := range []string{"x", "y", "z"} {
		v, err := parseNumber("coordinate "+axis, pos[1+i], "a finite number of metres")
		if err != nil {
			return err
		}
		xyz[i] = v
	}
	v := 0.0
	if speed != "" {
		var err error
		if v, err = parseNumber("speed", speed, fmt.Sprintf("metres per second from 0 (jump) to %g", medium.MaxSpeed)); err != nil {
			return err
		}
		if err := medium.ValidateSpeed(v); err != nil {
			return err
		}
	}
	p := medium.Position{X: xyz[0], Y: xyz[1], Z: xyz[2]}
	var res control.MoveResult
	var err error
	if speed == "" {
		res, err = a.client.Move(ctx, pos[0], p)
	} else {
		res, err = a.client.MoveAt(ctx, pos[0], p, v)
	}
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	p = res.Position
	if res.Moving {
		fmt.Fprintf(a.stdout, "%s moving to (%g, %g, %g) m at %g m/s\n", res.Name, p.X, p.Y, p.Z, res.Speed)
		return nil
	}
	fmt.Fprintf(a.stdout, "%s now at (%g, %g, %g) m\n", res.Name, p.X, p.Y, p.Z)
	return nil
}

// air prints the air model, or changes it with flags.
func (a *app) air(ctx context.Context, args []string) error {
	fs := a.flags("air")
	errs := fs.String("errors", "", "flat | per")
	airtime := fs.String("airtime", "", "off | account | timed")
	prop := fs.String("propagation", "", "propagation model")
	noise := fs.String("noise-floor", "", "noise floor at 20 MHz in dBm, or default")
	fading := fs.String("fading", "", "none | log-normal | rayleigh")
	sigma := fs.String("fading-sigma", "", "log-normal fading σ in dB")
	params := map[string]*string{}
	for _, p := range medium.PropagationParams {
		params[p] = fs.String(strings.ReplaceAll(p, "_", "-"), "", "propagation parameter "+p)
	}
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	var req control.AirRequest
	changed := false
	set := func(v string) *string {
		if v == "" {
			return nil
		}
		changed = true
		return &v
	}
	// A flag given an empty value (--errors "") would silently change
	// nothing: refuse it, naming what it accepts.
	var empty error
	fs.Visit(func(f *flag.Flag) {
		changed = true
		if f.Value.String() == "" && empty == nil {
			empty = &medium.InvalidValueError{What: "--" + f.Name, Value: `""`, Accepted: airFlagAccepts(f.Name)}
		}
	})
	if empty != nil {
		return empty
	}
	req.Errors, req.Airtime, req.Propagation, req.Fading = set(*errs), set(*airtime), set(*prop), set(*fading)
	if req.Errors != nil && !slices.Contains(medium.ErrorModels, *req.Errors) {
		return &medium.InvalidValueError{What: "--errors", Value: strconv.Quote(*req.Errors), Accepted: strings.Join(medium.ErrorModels, ", ")}
	}
	if req.Airtime != nil && !slices.Contains(medium.AirtimeModels, *req.Airtime) {
		return &medium.InvalidValueError{What: "--airtime", Value: strconv.Quote(*req.Airtime), Accepted: strings.Join(medium.AirtimeModels, ", ")}
	}
	for name, v := range params {
		if *v == "" {
			continue
		}
		f, err := parseNumber("--"+strings.ReplaceAll(name, "_", "-"), *v, "a number")
		if err != nil {
			return err
		}
		if req.Params == nil {
			req.Params = map[string]float64{}
		}
		req.Params[name] = f
	}
	switch *noise {
	case "":
	case "default":
		req.DefaultNoise = true
	default:
		f, err := parseNumber("--noise-floor", *noise, "a level in dBm from -130 to -30, or default")
		if err != nil {
			return err
		}
		req.NoiseFloorDBm = &f
	}
	if *sigma != "" {
		f, err := parseNumber("--fading-sigma", *sigma, "a standard deviation in dB from 0 to 30")
		if err != nil {
			return err
		}
		req.FadingSigmaDB = &f
	}
	var cfg medium.AirConfig
	var err error
	if changed {
		cfg, err = a.client.SetAir(ctx, req)
	} else {
		cfg, err = a.client.Air(ctx)
	}
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(cfg)
	}
	printAir(a.stdout, cfg)
	return nil
}

// airFlagAccepts is what a `vmctl air` flag accepts, for errors.
func airFlagAccepts(name string) string {
	switch name {
	case "errors":
		return strings.Join(medium.ErrorModels, ", ")
	case "airtime":
		return strings.Join(medium.AirtimeModels, ", ")
	case "propagation":
		return strings.Join(air.Models, ", ")
	case "fading":
		return strings.Join(medium.FadingModels, ", ")
	case "noise-floor":
		return "a level in dBm from -130 to -30, or default"
	case "fading-sigma":
		return "a standard deviation in dB from 0 to 30"
	}
	return "a number"
}

// printAir shows the air model, one setting a line.
func printAir(w io.Writer, c medium.AirConfig) {
	c = c.Normalize()
	fmt.Fprintf(w, "errors: %s\nairtime: %s\npropagation: %s", c.Errors, c.Airtime, c.Propagation.Model)
	p := c.Propagation
	vals := map[string]float64{"exponent": p.Exponent, "ref_loss_db": p.RefLossDB, "ref_distance": p.RefDistance,
		"sigma_db": p.SigmaDB, "tx_height": p.TxHeight, "rx_height": p.RxHeight, "system_loss_db": p.SystemLossDB,
		"power_loss_coeff": p.PowerLossCoeff, "floors": float64(p.Floors), "floor_loss_db": p.FloorLossDB,
		"floor_step_db": p.FloorStepDB, "seed": float64(p.Seed)}
	for _, name := range medium.ModelParams[p.Model] {
		fmt.Fprintf(w, " %s=%g", name, vals[name])
	}
	fmt.Fprintln(w)
	if c.NoiseFloorDBm != nil {
		fmt.Fprintf(w, "noise_floor_dbm: %g\n", *c.NoiseFloorDBm)
	} else {
		fmt.Fprintln(w, "noise_floor_dbm: default (thermal noise + 7 dB: -94 at 20 MHz)")
	}
	switch c.Fading.Kind {
	case "":
		fmt.Fprintln(w, "fading: none")
	case "log-normal":
		fmt.Fprintf(w, "fading: log-normal sigma_db=%g\n", c.Fading.SigmaDB)
	default:
		fmt.Fprintf(w, "fading: %s\n", c.Fading.Kind)
	}
}

func (a *app) deny(ctx context.Context, args []string) error {
	fs := a.flags("deny")
	src, dst := pairFlags(fs)
	clear := fs.Bool("c", false, "clear every deny pair")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	switch {
	case *clear && (*src != "" || *dst != ""):
		return usagef("-c clears every pair and takes no -s/-d")
	case *clear:
		res, err := a.client.ClearDeny(ctx)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(res)
		}
		fmt.Fprintf(a.stdout, "cleared %d deny %s\n", res.Cleared, plural(res.Cleared, "pair", "pairs"))
		return nil
	case *src == "" && *dst == "":
		ps, err := a.client.DenyList(ctx)
		if err != nil {
			return err
		}
		if a.json {
			if ps == nil {
				ps = ps[:0:0]
			}
			return a.printJSON(ps)
		}
		if len(ps) == 0 {
			fmt.Fprintln(a.stdout, "no deny pairs")
			return nil
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SRC\tDST\t")
		for _, p := range ps {
			fmt.Fprintf(tw, "%s\t%s\t(%s denies %s)\n", p.Src, p.Dst, p.Dst, p.Src)
		}
		return tw.Flush()
	}
	if err := requirePair("deny", *src, *dst); err != nil {
		return err
	}
	res, err := a.client.Deny(ctx, *src, *dst)
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	fmt.Fprintln(a.stdout, res.Message)
	return nil
}

func (a *app) allow(ctx context.Context, args []string) error {
	fs := a.flags("allow")
	src, dst := pairFlags(fs)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if err := requirePair("allow", *src, *dst); err != nil {
		return err
	}
	res, err := a.client.Allow(ctx, *src, *dst)
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(res)
	}
	fmt.Fprintln(a.stdout, res.Message)
	return nil
}

// lazyFile creates the output file on the first write, so a capture the
// server refuses leaves no file behind.
type lazyFile struct {
	path string
	f    *os.File
}

func (l *lazyFile) Write(b []byte) (int, error) {
	if l.f == nil {
		f, err := os.Create(l.path)
		if err != nil {
			return 0, err
		}
		l.f = f
	}
	return l.f.Write(b)
}

func (l *lazyFile) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

func (a *app) capture(ctx context.Context, args []string) error {
	fs := a.flags("capture")
	out := fs.String("o", "", "output file, - for stdout")
	radio := fs.String("r", "", "only what this radio received and transmitted")
	dur := fs.String("t", "", "duration (e.g. 5s); default until interrupted")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *out == "" {
		return usagef("-o FILE is required (- streams to stdout)")
	}
	var d time.Duration
	if *dur != "" {
		var err error
		if d, err = control.ParseDuration(*dur); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var w io.Writer = a.stdout
	msg := a.stdout
	if *out != "-" {
		lf := &lazyFile{path: *out}
		defer lf.Close()
		w = lf
	} else {
		msg = a.stderr // stdout is the pcap stream
	}
	st, err := a.client.Capture(ctx, *radio, d, w)
	if err != nil {
		return err
	}
	what := "every transmission"
	if *radio != "" {
		what = *radio
	}
	if a.json && *out != "-" {
		return a.printJSON(st)
	}
	dest := *out
	if dest == "-" {
		dest = "stdout"
	}
	if st.Interrupted {
		fmt.Fprintf(msg, "captured %d %s (%s) to %s, stopped by a signal (the medium's drop count is not known)\n",
			st.Frames, plural(int(st.Frames), "frame", "frames"), what, dest)
		return nil
	}
	fmt.Fprintf(msg, "captured %d %s (%s) to %s, %d dropped\n", st.Frames, plural(int(st.Frames), "frame", "frames"),
		what, dest, st.Dropped)
	return nil
}
