// Running two independent pieces of work on two threads (the machines kfpolicy runs on in
// kernel builds and CI have at least two cores). Used where a large policy splits cleanly: the
// halves of a file being parsed, the checker's report-only passes, the halves of the C header.

import Dispatch

/// Runs `first` and `second` concurrently and returns both results once both have finished.
/// The callers' work shares no mutable state: each builds its own value from read-only input.
func inParallel<A, B>(_ first: () -> A, _ second: () -> B) -> (A, B) {
    withoutActuallyEscaping(first) { first in
        withoutActuallyEscaping(second) { second in
            let slots = ParallelSlots(first, second)
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                if i == 0 { slots.a = slots.first() } else { slots.b = slots.second() }
            }
            return (slots.a!, slots.b!)
        }
    }
}

/// Work below this many kfuncs runs on one thread: a second would cost more than it saves.
let parallelMinimumKfuncs = 2000

/// The two pieces of work and where each leaves its result: each thread writes only its own
/// slot, and concurrentPerform returns after both have finished.
private final class ParallelSlots<A, B>: @unchecked Sendable {
    let first: () -> A
    let second: () -> B
    var a: A?
    var b: B?
    init(_ first: @escaping () -> A, _ second: @escaping () -> B) { self.first = first; self.second = second }
}
