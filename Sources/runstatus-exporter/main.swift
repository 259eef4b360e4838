import Foundation
import RunStatusExporter

// A `@Sendable` entry so nothing here is main-actor isolated (SWIFT-NOTES: signal closures from top-level
// code crash); the work happens in ExporterCommand.
let status = await ExporterCommand.run(Array(CommandLine.arguments.dropFirst()))
exit(status)
