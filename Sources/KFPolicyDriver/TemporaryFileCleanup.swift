// Removing the temporary file of a write in progress when a signal kills the process, so an
// interrupted `gen` leaves the old output and nothing else.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let cleanupSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

/// The temporary file being written, for the signal handler: a buffer allocated once, so the
/// handler only reads memory and calls unlink(2), which is async-signal-safe. One write at a
/// time is covered; a concurrent second writer is simply not registered.
nonisolated(unsafe) private let pendingTemp: UnsafeMutablePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: Int(PATH_MAX) + 1)
    p[0] = 0
    return p
}()
nonisolated(unsafe) var pendingTempActive: Int32 = 0
nonisolated(unsafe) private var cleanupInstalled = false

func registerPendingTemp(_ name: [CChar]) -> Bool {
    guard pendingTempActive == 0, name.count <= Int(PATH_MAX) else { return false }
    for (i, c) in name.enumerated() { pendingTemp[i] = c }
    pendingTempActive = 1
    return true
}

private func removePendingTempAndReraise(_ sig: Int32) {
    if pendingTempActive != 0 { unlink(pendingTemp) }
    signal(sig, SIG_DFL)
    raise(sig)
}

/// Installs, once, handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT that remove the temporary
/// file of a write in progress and then die of the same signal. Signals the program already
/// handles (or ignores) are left alone.
public func removeTemporaryFileOnSignals() {
    guard !cleanupInstalled else { return }
    cleanupInstalled = true
    pendingTemp[0] = 0 // initialise the globals before a handler can read them
    pendingTempActive = 0
    #if canImport(Glibc)
    for sig in cleanupSignals {
        var old = sigaction()
        guard sigaction(sig, nil, &old) == 0, old.__sigaction_handler.sa_handler == nil,
              old.sa_flags & SA_SIGINFO == 0 else { continue }
        var sa = sigaction()
        sa.__sigaction_handler.sa_handler = removePendingTempAndReraise
        sigemptyset(&sa.sa_mask)
        sa.sa_flags = 0
        sigaction(sig, &sa, nil)
    }
    #endif
}

/// Test hook, off unless the environment sets it: KFPOLICY_TEST_PAUSE_BEFORE_RENAME=<ms> sleeps
/// between writing the temporary file and renaming it, so a test can interrupt a write midway.
func pauseBeforeRenameForTests() {
    guard let v = getenv("KFPOLICY_TEST_PAUSE_BEFORE_RENAME"), let ms = Int(String(cString: v)), ms > 0 else { return }
    usleep(useconds_t(min(ms, 60_000)) * 1000)
}
