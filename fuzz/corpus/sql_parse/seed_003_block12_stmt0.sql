    SELECT * FROM sys.certificates  
