// SPDX-License-Identifier: MIT

package cenum

import (
	"strings"
	"testing"
)

const sample = `
#ifndef __SAMPLE_H
#define __SAMPLE_H
#include <linux/types.h>

#define FAMILY_NAME "SAMPLE"   /* a string: kept as text */
#define MAX_RATES 4
#define MASK (BIT(1) | \
	      BIT(3))
#define FUNC(x) ((x) + 1)
#define ALIAS CMD_FRAME

/**
 * enum sample_commands - commands
 * @CMD_UNSPEC: = 99 in a comment must not count, nor this, comma
 */
enum sample_commands {
	CMD_UNSPEC,
	CMD_REGISTER,   // line comment
	CMD_FRAME,
	CMD_JUMP = 10,
	CMD_AFTER,
	__CMD_MAX,
};
#define CMD_MAX (__CMD_MAX - 1)

enum sample_flags {
	FLAG_A = BIT(0),
	FLAG_B = BIT(1),
	FLAG_C		= BIT(2),
	FLAG_D = 1 << 4,
	FLAG_E = 0x20U,
	FLAG_F = FLAG_A | FLAG_D,
};

struct rate {
	s8 idx;
	u8 count;
} __packed;

struct flagged {
	__s8 idx;
	u16 flags;
	__u32 words[MAX_RATES];
} __packed;

struct unpacked {
	u8 a;
	u32 b;
};

struct opaque {
	u8 a;
	struct rate r;
} __packed;

enum {
	ANON_ZERO,
	ANON_NEG = -2,
	ANON_NEXT,
};
#endif
`

func TestParse(t *testing.T) {
	h, err := Parse(sample)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{
		"CMD_UNSPEC": 0, "CMD_REGISTER": 1, "CMD_FRAME": 2, "CMD_JUMP": 10, "CMD_AFTER": 11, "__CMD_MAX": 12,
		"CMD_MAX": 11, "FLAG_A": 1, "FLAG_B": 2, "FLAG_C": 4, "FLAG_D": 16, "FLAG_E": 32, "FLAG_F": 17,
		"ANON_ZERO": 0, "ANON_NEG": -2, "ANON_NEXT": -1, "MAX_RATES": 4, "MASK": 10, "ALIAS": 2,
	}
	for name, v := range want {
		if got, ok := h.Values[name]; !ok || got != v {
			t.Errorf("%s = %d (found %v), want %d", name, got, ok, v)
		}
	}
	for _, name := range []string{"FAMILY_NAME", "FUNC", "__SAMPLE_H", "x"} {
		if _, ok := h.Values[name]; ok {
			t.Errorf("%s has an integer value", name)
		}
	}
	if got := h.Defines["FAMILY_NAME"]; got != `"SAMPLE"` {
		t.Errorf("FAMILY_NAME text %q", got)
	}
	if _, ok := h.Defines["FUNC"]; ok {
		t.Error("function-like macro listed as a #define")
	}
	cmds := h.Enums["sample_commands"]
	if len(cmds) != 6 || cmds[3] != (Member{"CMD_JUMP", 10}) {
		t.Errorf("enum sample_commands = %+v", cmds)
	}
	if len(h.PackedSizes) != 2 || h.PackedSizes["rate"] != 2 || h.PackedSizes["flagged"] != 19 {
		t.Errorf("packed sizes %v, want rate 2 and flagged 19 only", h.PackedSizes)
	}
	if len(h.Enums) != 2 {
		t.Errorf("enums %v, want the two tagged ones", h.Enums)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"enum e { A = NOPE, };", "A = NOPE: unknown name NOPE"},
		{"enum e { A = BIT(70), };", "BIT(70) out of range"},
		{"enum e { A = (1 << 2, };", "missing )"},
		{"enum e { 3A, };", `"3A" is not an enumerator`},
		{"enum e { A = 1 2, };", `unexpected "2"`},
	} {
		_, err := Parse(c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.src, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("enum e { A = BIT(BIT(2)), B = ~A, C = -(B >> 1) ^ 3 & 1 };")
	f.Fuzz(func(t *testing.T, src string) {
		_, _ = Parse(src) // no panic, whatever the text
	})
}
