// What lint knows of a value before the program is loaded, to leave out the paths the verifier
// never explores: a static function's parameter that every call site passes as a constant
// (the verifier follows a static subprogram with its caller's precise arguments and prunes the
// branch a known value decides), and the address of a weak kfunc (libbpf writes 0 for a kfunc
// the kernel does not have and the kfunc's address for one it has, and the verifier knows
// which).

/// A value computed by the program, as far as lint can know it.
indirect enum LintValue: Equatable {
    /// The function's parameter number `index` (0-based).
    case parameter(Int)
    /// The address of kfunc `name` as declared (nonzero when the target kernel has it).
    case kfuncAddress(String)
    case constant(Int64)
    case not(LintValue)
    case and(LintValue, LintValue)
    case or(LintValue, LintValue)
    case equal(LintValue, LintValue)
    /// `c ? a : b`
    case select(LintValue, LintValue, LintValue)
    /// Anything else (a map value, a global the loader sets, arithmetic).
    case unknown

    /// The value where it is known. `arguments` holds the values of the parameters that are
    /// known; `kfuncExists` says whether the target kernel has a kfunc (as it is declared).
    func evaluate(_ arguments: [Int: Int64], _ kfuncExists: (String) -> Bool) -> Int64? {
        func truth(_ v: LintValue) -> Bool? { v.evaluate(arguments, kfuncExists).map { $0 != 0 } }
        switch self {
        case .parameter(let i): return arguments[i]
        case .kfuncAddress(let name): return kfuncExists(name) ? 1 : 0
        case .constant(let c): return c
        case .not(let a): return truth(a).map { $0 ? 0 : 1 }
        case .and(let a, let b):
            let x = truth(a), y = truth(b)
            if x == false || y == false { return 0 }
            return x == true && y == true ? 1 : nil
        case .or(let a, let b):
            let x = truth(a), y = truth(b)
            if x == true || y == true { return 1 }
            return x == false && y == false ? 0 : nil
        case .equal(let a, let b):
            guard let x = a.evaluate(arguments, kfuncExists), let y = b.evaluate(arguments, kfuncExists) else {
                return nil
            }
            return x == y ? 1 : 0
        case .select(let c, let a, let b):
            if let t = truth(c) { return (t ? a : b).evaluate(arguments, kfuncExists) }
            let x = a.evaluate(arguments, kfuncExists)
            return x != nil && x == b.evaluate(arguments, kfuncExists) ? x : nil
        case .unknown: return nil
        }
    }
}

/// A condition a call runs under: `value` is nonzero (`holds`) or zero (`!holds`).
struct LintGuard: Equatable {
    let value: LintValue
    let holds: Bool

    /// False when the condition is known not to hold, so the call is on a path the verifier
    /// removes as dead.
    func mayHold(_ arguments: [Int: Int64], _ kfuncExists: (String) -> Bool) -> Bool {
        guard let v = value.evaluate(arguments, kfuncExists) else { return true }
        return (v != 0) == holds
    }
}
