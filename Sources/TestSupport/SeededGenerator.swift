// The simulator's SplitMix64, so a test's random cases replay from their seed on every machine. One
// implementation for both: the simulator ships in the exporter (`--demo`) and cannot depend on test support, so
// the generator lives there; re-exported here alone (the module's name is also its main class's, so a
// `VendorSimulator.SeededGenerator` typealias cannot name it).
@_exported import struct VendorSimulator.SeededGenerator
