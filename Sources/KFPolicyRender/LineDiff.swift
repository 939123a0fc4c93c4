// A line diff of two texts, for `gen --check` (a stale output) and the git diff driver (a file
// that declares no policy).

/// A small unified-style line diff (longest common subsequence), for `gen --check`.
public func lineDiff(old: String, new: String, path: String) -> String {
    let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    // Trim the common prefix and suffix, then LCS on what is left (bounded to stay cheap).
    var pre = 0
    while pre < a.count, pre < b.count, a[pre] == b[pre] { pre += 1 }
    var suf = 0
    while suf < a.count - pre, suf < b.count - pre, a[a.count - 1 - suf] == b[b.count - 1 - suf] { suf += 1 }
    let x = Array(a[pre..<(a.count - suf)]), y = Array(b[pre..<(b.count - suf)])
    var out = "--- \(path) (committed)\n+++ \(path) (generated)\n@@ line \(pre + 1) @@\n"
    if x.count * y.count > 4_000_000 {
        for l in x { out += "-\(l)\n" }
        for l in y { out += "+\(l)\n" }
        return out
    }
    var t = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in stride(from: x.count - 1, through: 0, by: -1) {
        for j in stride(from: y.count - 1, through: 0, by: -1) {
            t[i][j] = x[i] == y[j] ? t[i + 1][j + 1] + 1 : max(t[i + 1][j], t[i][j + 1])
        }
    }
    var i = 0, j = 0
    while i < x.count || j < y.count {
        if i < x.count, j < y.count, x[i] == y[j] { out += " \(x[i])\n"; i += 1; j += 1 }
        else if i < x.count, j == y.count || t[i + 1][j] >= t[i][j + 1] { out += "-\(x[i])\n"; i += 1 }
        else { out += "+\(y[j])\n"; j += 1 }
    }
    return out
}
