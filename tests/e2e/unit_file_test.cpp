// config/hftd.service: the settings the service relies on are there, and systemd itself accepts
// the unit (systemd-analyze verify, when the machine has it) with ExecStart pointing at this build.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "run_util.hpp"

namespace {

std::string unit_text() {
  std::ifstream f(std::string(HFT_SOURCE_DIR) + "/config/hftd.service");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(UnitFile, IsANotifyServiceWithWatchdogRestartAndHardening) {
  const std::string u = unit_text();
  ASSERT_FALSE(u.empty());
  for (const char* line : {"Type=notify\n", "ExecReload=/bin/kill -HUP $MAINPID\n", "WatchdogSec=", "Restart=on-failure\n",
                           "CPUAffinity=", "NoNewPrivileges=yes\n", "ProtectSystem=strict\n", "StateDirectory=hftd\n",
                           "ExecStart=/usr/local/bin/hftd run --config /etc/hftd/config.yml\n"})
    EXPECT_NE(u.find(line), std::string::npos) << line;
}

TEST(UnitFile, SystemdAcceptsIt) {
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0) GTEST_SKIP() << "no systemd-analyze here";
  std::string u = unit_text();
  const std::string from = "/usr/local/bin/hftd";
  u.replace(u.find(from), from.size(), HFTD_BINARY);
  const std::string path = hft::e2e::tmp("hftd.service");
  std::ofstream(path) << u;
  const std::string out = path + ".verify";
  const int rc = std::system(("systemd-analyze verify " + path + " >" + out + " 2>&1").c_str());
  std::ifstream f(out);
  std::ostringstream ss;
  ss << f.rdbuf();
  // verify prints nothing and returns 0 for a unit it accepts
  EXPECT_EQ(rc, 0) << ss.str();
  EXPECT_EQ(ss.str().find("hftd.service:"), std::string::npos) << ss.str();
}

}  // namespace
