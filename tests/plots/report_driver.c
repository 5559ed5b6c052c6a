/* qtopo-report-test: `qtopo report` on its own (the report tests run it as a separate process,
 * as users run qtopo). */
#include "commands.h"

int main(int argc, char **argv)
{
    return qtp_report_main(argc, argv);
}
