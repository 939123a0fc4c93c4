// Code of the target that uses the tables the plugin generated from net_dev.policy.

/// One line per callback: the kfuncs a BPF program implementing it may call.
public func allowedKfuncReport() -> [String] {
    NetDevPolicy.Callback.allCases.map { callback in
        "ops.\(callback.name): " + callback.allowedKfuncs.map(\.name).joined(separator: ", ")
    }
}

/// Checks a list of (callback, kfunc) calls, as a loader might before attaching programs, and
/// says why each refused call is refused.
public func refusedCalls(_ calls: [(callback: String, kfunc: String)]) -> [String] {
    calls.compactMap { call in
        guard let c = NetDevPolicy.callback(named: call.callback) else { return "ops.\(call.callback): no such callback" }
        guard let k = NetDevPolicy.kfunc(named: call.kfunc) else { return "\(call.kfunc): no such kfunc" }
        let e = NetDevPolicy.explain(k, in: c)
        return e.allowed ? nil : e.summary
    }
}
