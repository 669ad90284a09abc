# Sourced by the .ci scripts: how every build of the project is made here (docs/ci.md).
# - Ninja for build folders made from now on (a folder keeps the generator it was made with):
#   it starts the next compile as soon as one ends and checks a built tree in a fraction of a second.
# - The compiler cache and the linker are chosen by the project itself (cmake/build-speed.cmake),
#   so a developer's builds fill the same cache CI reads.
if command -v ninja >/dev/null 2>&1; then
  export CMAKE_GENERATOR=${CMAKE_GENERATOR:-Ninja}
fi
