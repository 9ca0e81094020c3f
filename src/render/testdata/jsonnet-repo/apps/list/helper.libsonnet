// A library is imported, never evaluated on its own.
{ not: "an object" }
