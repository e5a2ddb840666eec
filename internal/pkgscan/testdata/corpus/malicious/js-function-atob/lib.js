var s = atob('Y29uc29sZS5sb2coMSk=');
new Function(s)();
