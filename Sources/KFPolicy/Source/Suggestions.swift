// "Did you mean" suggestions: the closest known name to a misspelt one.

/// Edit distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8), y = Array(b.utf8)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count), cur = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}

/// The closest candidate within a distance proportional to the name's length (at least
/// `minimumLimit`), if any. Names longer than 128 bytes get no suggestion: the cost is the
/// product of the lengths.
public func closest(to name: String, in candidates: some Sequence<String>, minimumLimit: Int = 1) -> String? {
    var work = Int.max
    return closest(to: name, in: candidates, work: &work, minimumLimit: minimumLimit)
}

/// As `closest(to:in:)`, spending at most `work` edit-distance cells (and deducting them), so a
/// caller can bound the cost of many suggestions. When the work runs out it answers nil, never
/// a partial best: the answer must not depend on the order of the candidates.
func closest(to name: String, in candidates: some Sequence<String>, work: inout Int, minimumLimit: Int = 1) -> String? {
    let n = name.utf8.count
    guard n <= 128 else { return nil }
    var best: (String, Int)?
    let limit = max(minimumLimit, name.count / 3)
    for c in candidates {
        // The distance is at least the difference in length: skip without computing it.
        let m = c.utf8.count
        if abs(m - n) > limit { continue }
        if work <= 0 { return nil }
        work -= max(1, n * m)
        let d = editDistance(name, c)
        if d <= limit, best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
    }
    return best?.0
}
