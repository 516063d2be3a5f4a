package suggest

import "testing"

func TestClosest(t *testing.T) {
	labels := []string{"MUST", "SHOULD", "RULE-VERSION", "RULE-SAME-REGION"}
	tests := []struct {
		word       string
		candidates []string
		want       string
	}{
		{"MUSTT", labels, "MUST"},
		{"must", labels, "MUST"},
		{"RULE-VERSOIN", labels, "RULE-VERSION"},
		{"SHUOLD", labels, "SHOULD"},
		{"RULE-SAME-REGOIN", labels, "RULE-SAME-REGION"},
		{"xyz", labels, ""},
		{"dset", []string{"dest", "source", "world"}, "dest"},
		{"chek", []string{"check", "serve", "run", "version"}, "check"},
		{"es-cn-cf710dest0000002", []string{"es-cn-cf710dest0000001", "es-cn-cf79src00000001"}, "es-cn-cf710dest0000001"},
		{"", labels, ""},
		{"a", nil, ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.word, tt.candidates); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestClosestPrefersTheNearest(t *testing.T) {
	if got := Closest("abcd", []string{"abxy", "abcx"}); got != "abcx" {
		t.Errorf("Closest = %q, want abcx (one edit beats two)", got)
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"", "ab", 2}, {"kitten", "sitting", 3}, {"ab", "ba", 1}, {"abc", "abc", 0}, {"flaw", "lawn", 2}}
	for _, tt := range tests {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	if got := DidYouMean("MUSTT", []string{"MUST"}); got != " (did you mean MUST?)" {
		t.Errorf("DidYouMean = %q", got)
	}
	if got := DidYouMean("zzzzzz", []string{"MUST"}); got != "" {
		t.Errorf("DidYouMean = %q, want empty", got)
	}
}
