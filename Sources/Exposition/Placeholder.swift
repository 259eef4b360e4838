enum ExpositionPlaceholder {}
