package spark.oracle;

import java.util.ArrayList;
import java.util.List;

/** Minimal line diff (longest common subsequence) for dump comparison output. */
final class LineDiff {
    private LineDiff() {}

    /**
     * Lines of {@code expected} and {@code actual} with "  " (common), "- " (only in expected)
     * or "+ " (only in actual) prefixes, after a "--- golden" / "+++ candidate" header. Long runs of common lines are elided to 2 lines of context.
     */
    static List<String> diff(String expected, String actual) {
        String[] a = expected.split("\n");
        String[] b = actual.split("\n");
        int n = a.length, m = b.length;
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = a[i].equals(b[j]) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<String> raw = new ArrayList<>();
        int i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a[i].equals(b[j])) {
                raw.add("  " + a[i]);
                i++;
                j++;
            } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
                raw.add("- " + a[i]);
                i++;
            } else {
                raw.add("+ " + b[j]);
                j++;
            }
        }
        // Keep changed lines plus 2 lines of context around them.
        boolean[] keep = new boolean[raw.size()];
        for (int k = 0; k < raw.size(); k++) {
            if (!raw.get(k).startsWith("  ")) {
                for (int d = -2; d <= 2; d++) {
                    if (k + d >= 0 && k + d < raw.size()) keep[k + d] = true;
                }
            }
        }
        List<String> result = new ArrayList<>();
        result.add("--- golden");
        result.add("+++ candidate");
        boolean gap = false;
        for (int k = 0; k < raw.size(); k++) {
            if (keep[k]) {
                if (gap) result.add("...");
                result.add(raw.get(k));
                gap = false;
            } else {
                gap = true;
            }
        }
        if (gap) result.add("...");
        return result;
    }
}
