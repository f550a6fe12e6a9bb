#  ZlbInstall.cmake - what `cmake --install` puts where.
#
#    bin/                      the programs
#    lib/libzlb.a              the client/worker library (static)
#    include/zlb/*.h           its public headers (they include czmq.h)
#    lib/pkgconfig/zlb.pc      pkg-config (Requires: libczmq libzmq msgpack)
#    share/man/man1/*.1        man pages made from --help by help2man, if found
#    lib/systemd/system/       zlb-broker.service (one broker), zlb-broker@.service
#                              (several: docs/cluster.md), zlb-worker@.service
#    etc/logrotate.d/zlb       logrotate rules (SIGHUP reopens the logs)
#
#  Everything is relative to the prefix given at install time
#  (cmake --install build --prefix /opt/zlb), including the paths inside the
#  .pc file and the systemd units.

include (GNUInstallDirs)

#  (zlb-stress installs itself in stress/CMakeLists.txt)
set (ZLB_PROGRAMS zlb-broker zlb-worker zlb-client zlb-ctl zlb-keygen)
foreach (program ${ZLB_PROGRAMS})
    if (TARGET ${program})
        install (TARGETS ${program} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    endif ()
endforeach ()

install (TARGETS zlb ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
                     LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install (DIRECTORY ${PROJECT_SOURCE_DIR}/include/zlb
         DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

#  pkg-config: prefix = ${pcfiledir} and one ".." per level of LIBDIR/pkgconfig.
string (REGEX MATCHALL "[^/]+" ZLB_LIBDIR_PARTS "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
set (ZLB_PC_PREFIX "\${pcfiledir}")
foreach (part ${ZLB_LIBDIR_PARTS})
    string (APPEND ZLB_PC_PREFIX "/..")
endforeach ()
configure_file (${PROJECT_SOURCE_DIR}/contrib/zlb.pc.in ${PROJECT_BINARY_DIR}/zlb.pc @ONLY)
install (FILES ${PROJECT_BINARY_DIR}/zlb.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

#  systemd units name the installed programs: filled in at install time so
#  that --prefix is honoured.
foreach (unit zlb-broker.service zlb-broker@.service zlb-worker@.service)
    install (CODE "
        set (ZLB_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
        configure_file (\"${PROJECT_SOURCE_DIR}/contrib/systemd/${unit}.in\"
                        \"${PROJECT_BINARY_DIR}/systemd/${unit}\" @ONLY)
        file (INSTALL \"${PROJECT_BINARY_DIR}/systemd/${unit}\"
              DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
    ")
endforeach ()
install (FILES ${PROJECT_SOURCE_DIR}/contrib/logrotate/zlb
         DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/logrotate.d)

#  Man pages from each program's --help and --version (help2man), at build
#  time. Without help2man the build goes on without them.
find_program (ZLB_HELP2MAN help2man)
if (ZLB_HELP2MAN)
    set (ZLB_MAN_PAGES)
    set (ZLB_MAN_NAMES
        "zlb-broker=Majordomo 0.1 load-balancing broker"
        "zlb-worker=serve an MDP service behind a zlb broker"
        "zlb-client=send requests through a zlb broker"
        "zlb-stress=load generator for a zlb broker"
        "zlb-ctl=inspect a running zlb broker"
        "zlb-keygen=make CURVE certificates for zlb")
    foreach (entry ${ZLB_MAN_NAMES})
        string (REGEX REPLACE "=.*" "" program "${entry}")
        string (REGEX REPLACE "^[^=]*=" "" summary "${entry}")
        if (NOT TARGET ${program})
            continue ()
        endif ()
        set (page ${PROJECT_BINARY_DIR}/man/${program}.1)
        add_custom_command (
            OUTPUT ${page}
            COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
            COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
                    ${ZLB_HELP2MAN} --no-info --no-discard-stderr --section=1
                    --name=${summary} --output=${page} $<TARGET_FILE:${program}>
            DEPENDS ${program}
            COMMENT "help2man ${program}"
            VERBATIM)
        list (APPEND ZLB_MAN_PAGES ${page})
    endforeach ()
    add_custom_target (man ALL DEPENDS ${ZLB_MAN_PAGES})
    install (FILES ${ZLB_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else ()
    message (STATUS "help2man not found: no man pages (apt-get install help2man)")
endif ()
