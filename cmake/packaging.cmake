# Installation layout and the Debian package (CPack). Included from the top-level CMakeLists.txt.
#   cmake --install build --prefix /usr/local        the daemon, docs, examples, unit, rules
#   cpack --config build/CPackConfig.cmake -G DEB      hwbridge_VERSION_ARCH.deb (prefix /usr)
# Paths follow the prefix; with the prefix /usr (the package) the map goes to /etc/hwbridge and the
# systemd unit and udev rules to /lib (Debian 12's place for them).
include(GNUInstallDirs)

set(HWB_PACKAGE_MAINTAINER "hwbridge developers <hwbridge@users.noreply.github.com>"
    CACHE STRING "Maintainer field of the .deb")

# Which Debian release the package is built on, and so for: its libraries' sonames are that
# release's (Debian 12 "bookworm": libgpiod2, libwebsockets17, libyaml-cpp0.7; Debian 13 "trixie":
# libgpiod3, libwebsockets19t64, libyaml-cpp0.8). The version says it (0.1.0~deb12, 0.1.0~deb13,
# as Debian's own backports and security updates do), so the two files differ by name.
# Read from /etc/os-release of the build system (the root the package is built in); empty on other
# systems (no suffix).
set(HWB_DEBIAN_RELEASE "" CACHE STRING "Debian major release the package is for (12, 13); empty: this system's")
if(NOT HWB_DEBIAN_RELEASE AND EXISTS /etc/os-release)
  file(STRINGS /etc/os-release _hwb_os_id REGEX "^ID=")
  file(STRINGS /etc/os-release _hwb_os_version REGEX "^VERSION_ID=")
  if(_hwb_os_id MATCHES "^ID=\"?(debian|raspbian)\"?$" AND _hwb_os_version MATCHES "^VERSION_ID=\"?([0-9]+)\"?$")
    set(HWB_DEBIAN_RELEASE ${CMAKE_MATCH_1})
  endif()
endif()
if(HWB_DEBIAN_RELEASE)
  set(HWB_PACKAGE_VERSION "${PROJECT_VERSION}~deb${HWB_DEBIAN_RELEASE}")
else()
  set(HWB_PACKAGE_VERSION "${PROJECT_VERSION}")
endif()
message(STATUS "package: hwbridge ${HWB_PACKAGE_VERSION}")

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND HWB_DEBIAN_RELEASE AND HWB_DEBIAN_RELEASE LESS 13)
  # Debian 12 still installs units and rules in /lib (merged /usr came with Debian 13, whose packages
  # install them in /usr/lib; both paths work on both releases).
  set(HWB_SYSTEM_LIB_DIR "/lib")
elseif(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(HWB_SYSTEM_LIB_DIR "/usr/lib")
else()
  set(HWB_SYSTEM_LIB_DIR "${CMAKE_INSTALL_PREFIX}/lib")
endif()
set(HWB_BIN_DIR ${CMAKE_INSTALL_FULL_BINDIR})
set(HWB_CONF_DIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/hwbridge)
set(HWB_DOC_DIR ${CMAKE_INSTALL_FULL_DATADIR}/doc/hwbridge)

# The unit names the installed paths.
configure_file(${PROJECT_SOURCE_DIR}/packaging/hwbridge.service.in ${PROJECT_BINARY_DIR}/packaging/hwbridge.service @ONLY)

# Debian wants the changelog compressed, reproducibly (no name, no time in the gzip header).
find_program(HWB_GZIP gzip REQUIRED)
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/packaging/changelog.gz
  COMMAND ${HWB_GZIP} -n -9 -c ${PROJECT_SOURCE_DIR}/packaging/changelog > ${PROJECT_BINARY_DIR}/packaging/changelog.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/changelog)
# The manual page, compressed the same way.
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/packaging/hwbridge.1.gz
  COMMAND ${HWB_GZIP} -n -9 -c ${PROJECT_SOURCE_DIR}/packaging/hwbridge.1 > ${PROJECT_BINARY_DIR}/packaging/hwbridge.1.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/hwbridge.1)
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/packaging/hwb.1.gz
  COMMAND ${HWB_GZIP} -n -9 -c ${PROJECT_SOURCE_DIR}/packaging/hwb.1 > ${PROJECT_BINARY_DIR}/packaging/hwb.1.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/hwb.1)
add_custom_target(hwb_changelog ALL DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.gz ${PROJECT_BINARY_DIR}/packaging/hwbridge.1.gz
                                            ${PROJECT_BINARY_DIR}/packaging/hwb.1.gz)

install(FILES packaging/hwbridge.yaml DESTINATION ${HWB_CONF_DIR})
install(FILES ${PROJECT_BINARY_DIR}/packaging/hwbridge.1.gz ${PROJECT_BINARY_DIR}/packaging/hwb.1.gz
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_BINARY_DIR}/packaging/hwbridge.service DESTINATION ${HWB_SYSTEM_LIB_DIR}/systemd/system)
install(FILES udev/60-hwbridge.rules DESTINATION ${HWB_SYSTEM_LIB_DIR}/udev/rules.d)
install(FILES README.md docs/deploy-raspberry-pi.md docs/device-map.md docs/protocol.md docs/gpio.md docs/web-page.md docs/modbus.md
              docs/client.md docs/clients.md docs/history.md docs/metrics.md
              docs/automations.md docs/security.md docs/mqtt.md docs/kernel-sensors.md docs/performance.md
              packaging/copyright ${PROJECT_BINARY_DIR}/packaging/changelog.gz
        DESTINATION ${HWB_DOC_DIR})
install(FILES config/demo.yaml config/raspberry-pi.yaml config/arduino-sensors.yaml config/serial-relay-board.yaml
              config/modbus-relay-board.yaml config/modbus-meter-and-sensor.yaml config/greenhouse.yaml
              config/mqtt-uplink.yaml config/mqtt-hub.yaml config/pi-kernel-sensors.yaml
              udev/70-hwbridge-serial-names.rules.example
        DESTINATION ${HWB_DOC_DIR}/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hwbridge)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_VERSION ${HWB_PACKAGE_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT ${HWB_PACKAGE_MAINTAINER})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# CPack makes the synopsis from the summary and indents the rest (an empty line becomes " .").
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "serial and GPIO hardware on the web")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "hwbridge is a small daemon that puts serial devices and GPIO lines on the
web: a YAML device map names the hardware and its channels (sensors,
relays, text consoles), and hwbridge serves them over WebSocket
subprotocols and a bundled web page. hwb, its command-line client,
reads sensors, switches relays (holding a lease while a command runs)
and talks to text channels from shells and scripts.

This package runs it as a hardened systemd service with the map
/etc/hwbridge/hwbridge.yaml, and installs udev rules that give the
service's groups (gpio, i2c, dialout) access to GPIO chips, I2C buses
and serial ports.")
# Library dependencies from the binary (dpkg-shlibdeps, libdate-tz among them); adduser for the
# maintainer scripts; tzdata for the zone database that libdate-tz and the C library read
# (bridge.time_zone, schedules across daylight-saving changes).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, tzdata")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "udev")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/conffiles ${PROJECT_SOURCE_DIR}/packaging/postinst
    ${PROJECT_SOURCE_DIR}/packaging/prerm ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
if(CMAKE_CROSSCOMPILING)
  # CPack would ask dpkg on the build machine; the package is for the target.
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE armhf)
  endif()
endif()
include(CPack)
