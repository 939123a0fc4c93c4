// The nesting graph: callback -> kfunc it may call -> callback it invokes, plus the kernel's own
// callback -> callback nestings. The checker proves it acyclic; generators emit it as tables.

public struct NestingGraph: Sendable {
    public enum EdgeKind: Sendable { case calls, invokes, nests }

    public struct Edge: Sendable {
        public let from: Int
        public let to: Int
        public let kind: EdgeKind
        public let range: SourceRange

        func describe(_ p: Policy) -> String {
            let nc = p.callbacks.count
            switch kind {
            case .calls: return "ops.\(p.callbacks[from].name) may call '\(p.kfuncs[to - nc].name)'"
            case .invokes: return "'\(p.kfuncs[from - nc].name)' invokes ops.\(p.callbacks[to].name)"
            case .nests: return "the kernel runs ops.\(p.callbacks[to].name) inside ops.\(p.callbacks[from].name)"
            }
        }
    }

    let policy: Policy
    /// Outgoing edges per node; nodes are callbacks (0..<nc), then kfuncs (nc..<nc+nk).
    public private(set) var edges: [[Edge]]

    public init(_ p: Policy) {
        policy = p
        let nc = p.callbacks.count
        edges = Array(repeating: [], count: nc + p.kfuncs.count)
        for n in p.nests { edges[n.outer].append(Edge(from: n.outer, to: n.inner, kind: .nests, range: n.range)) }
        // The callbacks where a kfunc is allowed depend only on its mask and whether it needs a
        // sleepable callback; kfuncs share masks, so each list is found once.
        var allowedIn: [UInt64: [Int]] = [:]
        for (k, kf) in p.kfuncs.enumerated() where !kf.invokes.isEmpty {
            // The callbacks where it is allowed: p.allowedCallbacks(of: k).
            let structOps = kf.sets.contains { p.sets[$0].progTypes.contains(.struct_ops) }
            let key = UInt64(kf.mask.bits) | (kf.requiresSleepable ? 1 << 32 : 0)
            let callbacks = allowedIn[key] ?? {
                let cs = p.callbacks.indices.filter { c in
                    kf.mask.meets(p.callbacks[c].contexts) && (!kf.requiresSleepable || p.callbacks[c].sleepable)
                }
                allowedIn[key] = cs
                return cs
            }()
            for c in callbacks where structOps {
                edges[c].append(Edge(from: c, to: nc + k, kind: .calls, range: kf.maskRange))
            }
            for c in kf.invokes {
                edges[nc + k].append(Edge(from: nc + k, to: c, kind: .invokes, range: kf.invokesRange))
            }
        }
    }

    public func nodeName(_ n: Int) -> String {
        n < policy.callbacks.count ? "ops.\(policy.callbacks[n].name)" : policy.kfuncs[n - policy.callbacks.count].name
    }

    /// Cycles found by a depth-first search, each as its list of edges (at most `limit`).
    public func cycles(limit: Int = 16) -> [[Edge]] {
        var color = [UInt8](repeating: 0, count: edges.count) // 0 white, 1 on stack, 2 done
        var found: [[Edge]] = []
        var pathEdges: [Edge] = []
        var stack: [(node: Int, next: Int)] = []
        for root in edges.indices where color[root] == 0 && !edges[root].isEmpty {
            stack.append((root, 0)); color[root] = 1
            while let top = stack.last {
                if top.next < edges[top.node].count {
                    stack[stack.count - 1].next += 1
                    let e = edges[top.node][top.next]
                    if color[e.to] == 0 {
                        color[e.to] = 1
                        pathEdges.append(e)
                        stack.append((e.to, 0))
                    } else if color[e.to] == 1, found.count < limit {
                        // The cycle is the path from e.to back to here, plus e.
                        let start = pathEdges.lastIndex { $0.from == e.to }.map { $0 } ?? pathEdges.count
                        found.append(Array(pathEdges[start...]) + [e])
                    }
                } else {
                    color[top.node] = 2
                    stack.removeLast()
                    if !pathEdges.isEmpty, pathEdges.last!.to == top.node { pathEdges.removeLast() }
                }
            }
        }
        return found
    }

    /// The strongly connected component of each node (Tarjan's algorithm, iterative so a long
    /// chain cannot overflow the stack). An edge lies on a cycle exactly when both its ends are
    /// in one component: `graph` marks such edges when it draws a policy with a cycle.
    public func components() -> [Int] {
        let n = edges.count
        var index = [Int](repeating: -1, count: n), low = [Int](repeating: 0, count: n)
        var component = [Int](repeating: -1, count: n)
        var onStack = [Bool](repeating: false, count: n)
        var sccStack: [Int] = [], work: [(node: Int, next: Int)] = []
        var counter = 0, components = 0
        for root in 0..<n where index[root] < 0 {
            work.append((root, 0))
            while let top = work.last {
                let v = top.node
                if top.next == 0 && index[v] < 0 {
                    index[v] = counter; low[v] = counter; counter += 1
                    sccStack.append(v); onStack[v] = true
                }
                if top.next < edges[v].count {
                    work[work.count - 1].next += 1
                    let w = edges[v][top.next].to
                    if index[w] < 0 { work.append((w, 0)) } else if onStack[w] { low[v] = min(low[v], index[w]) }
                    continue
                }
                work.removeLast()
                if let parent = work.last { low[parent.node] = min(low[parent.node], low[v]) }
                guard low[v] == index[v] else { continue }
                while let w = sccStack.popLast() {
                    onStack[w] = false
                    component[w] = components
                    if w == v { break }
                }
                components += 1
            }
        }
        return component
    }

    /// Callbacks reachable from callback `c` through one or more edges: the callbacks that may
    /// run nested inside it.
    public func nestedCallbacks(of c: Int) -> [Int] {
        var seen = [Bool](repeating: false, count: edges.count)
        var work = [c]
        var out: [Int] = []
        while let n = work.popLast() {
            for e in edges[n] where !seen[e.to] {
                seen[e.to] = true
                if e.to < policy.callbacks.count { out.append(e.to) }
                work.append(e.to)
            }
        }
        return out.sorted()
    }

    /// For each context, the contexts that may run nested inside it: callback A's contexts may
    /// contain callback B's when B is reachable from A. Drives the generated run-time guards.
    public func contextNesting() -> [ContextMask] {
        var may = [ContextMask](repeating: .empty, count: policy.contexts.count)
        let inner = nestedContexts()
        for (a, cb) in policy.callbacks.enumerated() {
            for c in cb.contexts.indices where c < may.count { may[c] = may[c].union(inner[a]) }
        }
        return may
    }

    /// For each node, the contexts of the callbacks reachable from it through one or more
    /// edges. On a DAG (every checked policy) one depth-first pass computes all of them in
    /// O(nodes + edges); on a graph with a cycle it falls back to one search per callback.
    func nestedContexts() -> [ContextMask] {
        let nc = policy.callbacks.count
        var reach = [ContextMask](repeating: .empty, count: edges.count)
        var state = [UInt8](repeating: 0, count: edges.count) // 0 new, 1 on the stack, 2 done
        var stack: [(node: Int, next: Int)] = []
        for root in 0..<nc where state[root] == 0 {
            stack.append((root, 0))
            state[root] = 1
            while let top = stack.last {
                if top.next < edges[top.node].count {
                    stack[stack.count - 1].next += 1
                    let to = edges[top.node][top.next].to
                    if state[to] == 1 {
                        // A cycle: reachability is not a post-order sum. Search per callback.
                        return (0..<nc).map { a in
                            nestedCallbacks(of: a).reduce(ContextMask.empty) { $0.union(policy.callbacks[$1].contexts) }
                        }
                    }
                    if state[to] == 0 { state[to] = 1; stack.append((to, 0)) }
                } else {
                    var m = ContextMask.empty
                    for e in edges[top.node] {
                        if e.to < nc { m = m.union(policy.callbacks[e.to].contexts) }
                        m = m.union(reach[e.to])
                    }
                    reach[top.node] = m
                    state[top.node] = 2
                    stack.removeLast()
                }
            }
        }
        return reach
    }
}
