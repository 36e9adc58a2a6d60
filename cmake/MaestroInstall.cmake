# SPDX-License-Identifier: BSD-3-Clause
# Installation: libraries, headers, CMake package config (find_package(maestro))
# and one pkg-config file per library.
get_property(_libs GLOBAL PROPERTY MSTRO_INSTALLED_LIBS)
# maestro.h declares mstro_pm_*: an installed client of maestro::maestro links
# the PM library too. Only in the export: in the build tree libmaestro-pm links
# libmaestro, and libmaestro itself never calls into pm/.
target_link_libraries(maestro INTERFACE $<INSTALL_INTERFACE:maestro::maestro_pm>)
install(TARGETS ${_libs} EXPORT maestroTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

# The launcher script, with its version filled in (mstro-launch --version).
configure_file(${PROJECT_SOURCE_DIR}/scripts/mstro-launch.sh ${PROJECT_BINARY_DIR}/mstro-launch @ONLY)
install(PROGRAMS ${PROJECT_BINARY_DIR}/mstro-launch DESTINATION ${CMAKE_INSTALL_BINDIR})
include(MaestroManPages)
mstro_add_man_page(mstro-launch PROGRAM ${PROJECT_BINARY_DIR}/mstro-launch)

set(MSTRO_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/maestro)
install(EXPORT maestroTargets NAMESPACE maestro:: DESTINATION ${MSTRO_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/maestroConfig.cmake.in
  ${PROJECT_BINARY_DIR}/maestroConfig.cmake INSTALL_DESTINATION ${MSTRO_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/maestroConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/maestroConfig.cmake
  ${PROJECT_BINARY_DIR}/maestroConfigVersion.cmake DESTINATION ${MSTRO_CMAKE_DIR})

# pkg-config: name, description, -l flags, Requires (other .pc files of
# ours), Requires.private and Libs.private (what a static link needs besides).
# The prefix is computed from the .pc file's own location, so an install
# with `cmake --install --prefix X` is relocatable.
file(RELATIVE_PATH PC_RELATIVE_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" PC_RELATIVE_PREFIX "${PC_RELATIVE_PREFIX}")
function(mstro_pkgconfig pcname desc libs requires requires_private libs_private)
  set(PC_NAME ${pcname})
  set(PC_DESCRIPTION "${desc}")
  set(PC_LIBS "${libs}")
  set(PC_REQUIRES "${requires}")
  set(PC_REQUIRES_PRIVATE "${requires_private}")
  set(PC_LIBS_PRIVATE "${libs_private}")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/maestro.pc.in ${PROJECT_BINARY_DIR}/${pcname}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pcname}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
set(_mtr_private "")
if(MSTRO_HAVE_RADOS)
  set(_mtr_private "-lrados")
endif()
set(_dl "")
if(CMAKE_DL_LIBS)
  set(_dl "-l${CMAKE_DL_LIBS}")
endif()
mstro_pkgconfig(mamba "Memory spaces, pools, RDMA-registered regions and arrays" "-lmamba" ""
  "hwloc" "-lnuma ${_dl}")
mstro_pkgconfig(lyt "Data layouts, transforms and redistribution" "-llyt" "mamba" "" "")
mstro_pkgconfig(maestro-transport "Maestro transport layer" "-lmaestro-transport" "mamba"
  "libfabric" "${_mtr_private}")
# maestro.h declares mstro_pm_* (libmaestro-pm): the maestro package links
# both, the PM library first for a static link (it calls into libmaestro).
mstro_pkgconfig(maestro "Maestro data orchestration middleware" "-lmaestro-pm -lmaestro"
  "mamba lyt" "maestro-transport yaml-0.1 libprotobuf-c" "")
mstro_pkgconfig(maestro-pm "Maestro Pool Manager library" "-lmaestro-pm" "maestro"
  "maestro-transport libprotobuf-c" "")
mstro_pkgconfig(maestro-components "Maestro workflow components: librarian, keep-alive proxy"
  "-lmaestro-components" "maestro" "" "")
