import Foundation

// The work happens in BenchCommand (a nonisolated entry: nothing here is main-actor isolated).
let status = await BenchCommand.run(Array(CommandLine.arguments.dropFirst()))
exit(status)
