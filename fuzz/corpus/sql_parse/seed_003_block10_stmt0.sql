    SELECT * FROM sys.sysusers;  
