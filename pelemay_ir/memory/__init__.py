"""Static memory planning: placing every intermediate buffer in one arena by liveness, checking the placement independently, ordering ops to lower the peak, and reporting the plan."""
