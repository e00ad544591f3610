USE master;  
--Create the database Master Key, if needed.  
