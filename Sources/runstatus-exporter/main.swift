import Foundation
import RunStatusExporter

// Top-level code is main-actor isolated, and a signal-handler closure written here that runs on a background queue
// crashes (SIGILL) in Swift 6 mode; so the work, signal handling included, happens in ExporterCommand.
let status = await ExporterCommand.run(Array(CommandLine.arguments.dropFirst()))
exit(status)
