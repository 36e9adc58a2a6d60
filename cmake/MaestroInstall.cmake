# Installation: libraries, headers, CMake package config (find_package(maestro))
# and one pkg-config file per library.
get_property(_libs GLOBAL PROPERTY MSTRO_INSTALLED_LIBS)
install(TARGETS ${_libs} EXPORT maestroTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

set(MSTRO_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/maestro)
install(EXPORT maestroTargets NAMESPACE maestro:: DESTINATION ${MSTRO_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/maestroConfig.cmake.in
  ${PROJECT_BINARY_DIR}/maestroConfig.cmake INSTALL_DESTINATION ${MSTRO_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/maestroConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/maestroConfig.cmake
  ${PROJECT_BINARY_DIR}/maestroConfigVersion.cmake DESTINATION ${MSTRO_CMAKE_DIR})

# pkg-config: name, description, library, Requires (other .pc files of ours)
# The prefix is computed from the .pc file's own location, so an install
# with `cmake --install --prefix X` is relocatable.
file(RELATIVE_PATH PC_RELATIVE_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" PC_RELATIVE_PREFIX "${PC_RELATIVE_PREFIX}")
function(mstro_pkgconfig pcname desc libname requires)
  set(PC_NAME ${pcname})
  set(PC_DESCRIPTION "${desc}")
  set(PC_LIB ${libname})
  set(PC_REQUIRES "${requires}")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/maestro.pc.in ${PROJECT_BINARY_DIR}/${pcname}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pcname}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
mstro_pkgconfig(mamba "Memory spaces, pools, RDMA-registered regions and arrays" mamba "")
mstro_pkgconfig(lyt "Data layouts, transforms and redistribution" lyt "mamba")
mstro_pkgconfig(maestro-transport "Maestro transport layer" maestro-transport "mamba")
mstro_pkgconfig(maestro "Maestro data orchestration middleware" maestro "mamba lyt")
mstro_pkgconfig(maestro-pm "Maestro Pool Manager library" maestro-pm "maestro")
mstro_pkgconfig(maestro-components "Maestro workflow components: librarian, keep-alive proxy" maestro-components "maestro")
