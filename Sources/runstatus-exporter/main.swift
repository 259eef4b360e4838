import Demo
import Foundation
import RunStatusExporter

// Top-level code is main-actor isolated, and a signal-handler closure written here that runs on a background queue
// crashes (SIGILL) in Swift 6 mode; so the work, signal handling included, happens in ExporterCommand.
// The demo simulator is linked here, not into the library.
let status = await ExporterCommand.run(Array(CommandLine.arguments.dropFirst()), startDemo: {
    let demo = try DemoMode.start()
    return DemoHandle(config: demo.config, baseURL: demo.baseURL, stop: { demo.stop() })
})
exit(status)
