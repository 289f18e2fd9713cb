import Foundation
import Synchronization

/// Set by SIGTERM/SIGINT (a plain C handler: the only thing it does is an atomic store).
private let signalled = Atomic<Bool>(false)

/// A stop request from a signal, another thread or a test, polled by the worker loop between jobs.
public final class StopSignal: Sendable {
    private let requested = Atomic<Bool>(false)

    public init() {}

    public var isRequested: Bool {
        requested.load(ordering: .acquiring) || signalled.load(ordering: .acquiring)
    }

    public func request() { requested.store(true, ordering: .releasing) }

    /// Sleeps up to `seconds`, returning early once a stop is requested.
    public func sleep(_ seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        while !isRequested && Date() < end { Thread.sleep(forTimeInterval: min(0.1, max(0, end.timeIntervalSinceNow))) }
    }

    /// Routes SIGTERM and SIGINT to the stop flag (the process then finishes its current job and exits).
    public func installSignalHandlers() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in signalled.store(true, ordering: .releasing) }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGINT, &action, nil)
        // A parent may have started us with these signals blocked (a spawning thread's mask is inherited).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGTERM)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }
}
