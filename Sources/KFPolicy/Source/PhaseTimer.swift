// Wall-clock time per phase, for `kfpolicy gen --time-report` (as a compiler's -ftime-report):
// where a slow run spends its time, without a profiler.

/// Phase times of one run. A class so that every phase of the run adds to the same report; it
/// is not Sendable: one run, one thread.
public final class PhaseTimer {
    public private(set) var phases: [(name: String, seconds: Double)] = []
    public init() {}

    /// Runs `body` and adds its wall-clock time to the phase `name` (phases sum when repeated).
    public func measure<T, E: Error>(_ name: String, _ body: () throws(E) -> T) throws(E) -> T {
        let start = ContinuousClock.now
        defer {
            let d = ContinuousClock.now - start
            let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            if let i = phases.firstIndex(where: { $0.name == name }) {
                phases[i].seconds += s
            } else {
                phases.append((name, s))
            }
        }
        return try body()
    }

    /// One line per phase with milliseconds and share, then the total.
    public func report() -> String {
        let total = phases.reduce(0) { $0 + $1.seconds }
        let width = max(5, phases.map(\.name.count).max() ?? 0)
        func ms(_ s: Double) -> String {
            let v = (s * 10000).rounded() / 10
            let t = String(v)
            return String(repeating: " ", count: max(0, 9 - t.count)) + t
        }
        var out = ""
        for p in phases {
            let pct = total > 0 ? Int((p.seconds / total * 100).rounded()) : 0
            let name = p.name + String(repeating: " ", count: width - p.name.count)
            let share = String(repeating: " ", count: pct < 10 ? 2 : pct < 100 ? 1 : 0) + "\(pct) %"
            out += "  " + name + ms(p.seconds) + " ms " + share + "\n"
        }
        out += "  total" + String(repeating: " ", count: width - 5) + ms(total) + " ms\n"
        return out
    }
}
