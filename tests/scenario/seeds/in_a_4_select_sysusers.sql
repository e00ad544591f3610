SELECT * FROM sys.sysusers;  
