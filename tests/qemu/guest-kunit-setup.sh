# Runs in the KUnit guest before the modules load (/setup.sh).
#
# Arms fail_page_alloc for the tasks that ask for it: every page allocation
# of a task whose make_it_fail is set fails (the fault suite sets it around
# the operations it wants to fail, at the rate it wants), and nothing else
# in the system is affected.  No stack dumps: they would read as failures.
f=/sys/kernel/debug/fail_page_alloc
if [ -d $f ]; then
	echo 0 >$f/verbose
	echo Y >$f/task-filter
	echo N >$f/ignore-gfp-wait
	echo N >$f/ignore-gfp-highmem
	echo 0 >$f/min-order
	echo 1 >$f/interval
	echo -1 >$f/times
	echo 100 >$f/probability
	echo "XSC-FAULTS: fail_page_alloc armed for tasks with make-it-fail"
fi
