package incident

// SampleRules are the sample city's grader and map, for the external tests.
var SampleRules = sampleRules
