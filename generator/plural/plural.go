// Package plural writes counts of things in English: "1 partition",
// "2 partitions", "1 entry", "3 entries". Every message that counts
// something it names uses it, so that none says "1 partitions".
package plural

import (
	"strconv"
	"strings"
)

// Count is n followed by noun, made plural unless n is 1. noun is the
// singular; a consonant + y ending becomes -ies, anything else takes -s.
func Count[N ~int | ~int64](n N, noun string) string {
	return strconv.FormatInt(int64(n), 10) + " " + Noun(n, noun)
}

// Form is one when n is 1, else many: for the words the rule of Noun
// does not make ("was"/"were", "is"/"are").
func Form[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Noun is noun in the number n asks for, without the count.
func Noun[N ~int | ~int64](n N, noun string) string {
	if n == 1 || noun == "" {
		return noun
	}
	if strings.HasSuffix(noun, "y") && len(noun) > 1 && !strings.ContainsRune("aeiou", rune(noun[len(noun)-2])) {
		return noun[:len(noun)-1] + "ies"
	}
	return noun + "s"
}
