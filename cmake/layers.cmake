# Layering enforced by the compiler (../shared/DESIGN.md; README "Layers"): each library sees
# its own headers and the public headers of the libraries it links, nothing else. A core file
# that includes "server/session.h", or the app including a server-internal header, does not
# compile.
#
# hwb_layer(TARGET NAME DIR [PUBLIC_HEADERS h...]): the headers of DIR appear to TARGET's own
# sources as "NAME/x.h" (all of them), and to its dependents as "NAME/x.h" for PUBLIC_HEADERS
# only (all when none are named). The include trees are symbolic links under the build folder,
# so a compiler message names a path that opens the real file.
function(hwb_layer target name dir)
  cmake_parse_arguments(L "" "" "PUBLIC_HEADERS" ${ARGN})
  file(GLOB headers RELATIVE ${dir} CONFIGURE_DEPENDS ${dir}/*.h)
  set(root ${CMAKE_BINARY_DIR}/layers/${name})
  file(REMOVE_RECURSE ${root})
  file(MAKE_DIRECTORY ${root}/own/${name} ${root}/public/${name})
  foreach(header IN LISTS headers)
    file(CREATE_LINK ${dir}/${header} ${root}/own/${name}/${header} SYMBOLIC)
    if(NOT L_PUBLIC_HEADERS OR header IN_LIST L_PUBLIC_HEADERS)
      file(CREATE_LINK ${dir}/${header} ${root}/public/${name}/${header} SYMBOLIC)
    endif()
  endforeach()
  foreach(header IN LISTS L_PUBLIC_HEADERS)
    if(NOT header IN_LIST headers)
      message(FATAL_ERROR "hwb_layer(${name}): public header ${header} is not in ${dir}")
    endif()
  endforeach()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${root}/public)
  else()
    target_include_directories(${target} PRIVATE ${root}/own INTERFACE ${root}/public)
  endif()
endfunction()
