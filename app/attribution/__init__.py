"""From offer to lease: candidatures, proposals, designations, CAL, attributions, baux."""
