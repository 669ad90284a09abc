// What the door knows of automations (docs/automations.md), so that every front can show them and
// let operators act on them without depending on the automation front: the automation front
// implements it and registers with the door; the WebSocket server reads and calls it.
#pragma once

#include <string>
#include <vector>

#include "core/automation_config.h"
#include "core/result.h"

namespace hwb {

class Requester;

class AutomationPanel {
public:
    virtual ~AutomationPanel() = default;
    virtual std::vector<AutomationStatus> automations() const = 0;
    // Operator actions: checked (an operator who may control the automation's relay), audited,
    // kept across restarts. Errors: forbidden, unknown_automation, not_a_thermostat, out_of_range.
    virtual Status set_setpoint(const Requester& who, const std::string& id, double value) = 0;
    virtual Status set_enabled(const Requester& who, const std::string& id, bool enabled) = 0;
};

}  // namespace hwb
