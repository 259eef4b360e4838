enum VendorSimulatorPlaceholder {}
