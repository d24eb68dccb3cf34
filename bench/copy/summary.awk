# summary.awk — medians and ratios of bench/copy/run.sh's results.tsv:
#   awk -F'\t' -v tools="rsync fpsync-4 partsync-4 fpsync-8 partsync-8" -v sets="small mixed" -f summary.awk results.tsv
# Works on partial results too (a repetition cut short). -v anchor=TOOL
# compares with TOOL instead of rsync; -v peer=TOOL compares partsync with TOOL
# instead of fpsync at the same -n.
NR > 1 { t[$1, $3, $4] = t[$1, $3, $4] " " $5; if ($4 == "first") load[$1] = load[$1] " " $6 }
function median(list,   a, n, i, j, x) {
	n = split(list, a, " ")
	if (n == 0) return 0
	for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
	nt = split(tools, tl, " "); ns = split(sets, sl, " ")
	if (anchor == "") anchor = "rsync"
	for (s = 1; s <= ns; s++) {
		set = sl[s]
		printf "\n%s set (load1 at the starts: %s)\n", set, load[set]
		printf "%-16s %10s %10s %10s   %10s %10s %10s\n", "tool", "first s", "/" anchor, "/" (peer == "" ? "fpsync" : peer), "re-run s", "/" anchor, "/" (peer == "" ? "fpsync" : peer)
		for (i = 1; i <= nt; i++) {
			tool = tl[i]; line = sprintf("%-16s", tool)
			for (ph = 1; ph <= 2; ph++) {
				phase = ph == 1 ? "first" : "rerun"
				m = median(t[set, tool, phase]); r = median(t[set, anchor, phase])
				fp = tool; sub(/^partsync/, "fpsync", fp); if (peer != "") fp = peer; f = median(t[set, fp, phase])
				vr = r > 0 ? sprintf("%9.2fx", m / r) : sprintf("%10s", "-")
				vf = (tool ~ /^partsync/ && f > 0) ? sprintf("%9.2fx", m / f) : sprintf("%10s", "")
				line = line sprintf(" %10.2f %s %s  ", m, vr, vf)
			}
			print line
		}
	}
}
