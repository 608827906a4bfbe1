// The translation unit that builds the guide programs' precompiled header
// (docs/CMakeLists.txt); it has no code of its own.
