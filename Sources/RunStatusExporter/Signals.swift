import Configuration
import CurlTransport
import Dispatch
import Foundation
import HTTPServer
import Logging
import Polling
import RunStatusModel
import RunStore
import Serving

/// Signals delivered as an async stream: the default action is ignored first (else SIGTERM kills the process before
/// the source sees it), then a Dispatch source per signal feeds the stream; the command cancels its task group on
/// the first one.
enum Signals {
    static func stream(_ signals: [Int32]) -> AsyncStream<Int32> {
        AsyncStream { continuation in
            let queue = DispatchQueue(label: "runstatus.signals")
            var sources: [any DispatchSourceSignal] = []
            for s in signals {
                signal(s, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: s, queue: queue)
                source.setEventHandler { @Sendable in continuation.yield(s) }
                source.resume()
                sources.append(source)
            }
            let keep = UncheckedBox(sources)
            continuation.onTermination = { @Sendable _ in
                for source in keep.value { source.cancel() }
            }
        }
    }
}
